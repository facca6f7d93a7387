"""Routes through the shipped diagrams, to every end event, shared by the API and CLI tests."""

ENROL = [
    ("first_contact", {}),
    ("information_dialogue", {"needs_more_information": True}),
    ("information_dialogue", {"needs_more_information": False}),
    ("participant_decision", {"chooses_se": True}),
    ("agreement", {}),
    ("network_mapping", {}),
]
ST = [("st_agreement", {}), ("st_competence_profile", {}), ("st_workplace_profile", {}),
      ("st_activity_assessment", {}), ("st_followup", {"recommended_direction": "JOB_SEARCH"})]
JOB = [("employer_engagement", {}), ("employment_start", {"employment_type": "PERMANENT", "work_pct": 50})]

PATHS = {
    "end_not_enrolled": [
        ("first_contact", {}), ("information_dialogue", {"needs_more_information": False}),
        ("participant_decision", {"chooses_se": False, "decline_reason": "PARTICIPANT_CHOICE"})],
    "end_employment": ENROL + [
        ("vocational_profile", {"profile_sufficient": False, "complement": "PRAKTIK"}), ("work_placement", {}),
        ("vocational_profile", {"profile_sufficient": False, "complement": "SUPPORTED_TRAINING"}), *ST,
        ("vocational_profile", {"profile_sufficient": True}), ("job_search", {"search_result": "CONTINUE"}),
        ("job_search", {"search_result": "JOB_OFFER"}), *JOB,
        ("support_followup", {"support_status": "CONTINUE"}), ("support_followup", {"support_status": "STABLE"}),
        ("taper_off", {}), ("planned_closure", {"outcome": "EMPLOYMENT"})],
    "end_studies": ENROL + [
        ("vocational_profile", {"profile_sufficient": True}), ("job_search", {"search_result": "STUDIES"}),
        ("study_application", {"admitted": False}), ("job_search", {"search_result": "STUDIES"}),
        ("study_application", {"admitted": True}), ("study_start", {}),
        ("support_followup", {"support_status": "STABLE"}), ("taper_off", {}),
        ("planned_closure", {"outcome": "STUDIES"})],
    "end_continued_af": ENROL + [
        ("vocational_profile", {"profile_sufficient": True}), ("job_search", {"search_result": "JOB_OFFER"}), *JOB,
        ("support_followup", {"support_status": "JOB_LOST"}), ("job_search", {"search_result": "OTHER_PLAN"}),
        ("planned_closure", {"outcome": "CONTINUED_AF_SUPPORT", "forward_plan": True})],
    "end_other_plan": ENROL + [
        ("vocational_profile", {"profile_sufficient": True}), ("job_search", {"search_result": "BACK_TO_PROFILE"}),
        ("vocational_profile", {"profile_sufficient": True}), ("job_search", {"search_result": "OTHER_PLAN"}),
        ("planned_closure", {"outcome": "OTHER_PLAN"})],
}

OUTCOMES = {
    "end_not_enrolled": ("NO_OUTCOME", "PARTICIPANT_CHOICE"),
    "end_employment": ("EMPLOYMENT", "GOAL_ACHIEVED"),
    "end_studies": ("STUDIES", "GOAL_ACHIEVED"),
    "end_continued_af": ("CONTINUED_AF_SUPPORT", "TRANSFERRED"),
    "end_other_plan": ("OTHER_PLAN", "TRANSFERRED"),
}
