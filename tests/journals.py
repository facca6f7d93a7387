"""The exact journals (kind element [-> gateway targets]) of the routes in paths.py."""

JOURNALS = {
    "end_not_enrolled": """
        case_started
        event_reached referral_received
        task_ready first_contact
        task_completed first_contact
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->participant_decision
        task_ready participant_decision
        task_completed participant_decision
        gateway_taken gw_chooses_se ->end_not_enrolled
        event_reached end_not_enrolled
        case_ended end_not_enrolled
    """,
    "end_employment": """
        case_started
        event_reached referral_received
        task_ready first_contact
        task_completed first_contact
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->gw_info_merge
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->participant_decision
        task_ready participant_decision
        task_completed participant_decision
        gateway_taken gw_chooses_se ->agreement
        task_ready agreement
        task_completed agreement
        gateway_taken gw_followup_fork ->gw_followup_merge,network_mapping
        task_ready network_mapping
        gateway_taken gw_followup_merge ->followup_due
        timer_waiting followup_due
        task_completed network_mapping
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->work_placement
        task_ready work_placement
        task_completed work_placement
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->supported_training_period
        activity_started supported_training_period
        event_reached st_start
        task_ready st_agreement
        task_completed st_agreement
        task_ready st_competence_profile
        timer_fired followup_due
        task_ready monthly_followup
        task_completed st_competence_profile
        task_ready st_workplace_profile
        task_completed st_workplace_profile
        task_ready st_activity_assessment
        timer_fired st_assessment_reminder
        task_ready st_assessment_check
        task_completed st_activity_assessment
        task_ready st_followup
        task_completed st_followup
        event_reached st_end
        task_cancelled st_assessment_check
        activity_completed supported_training_period
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        gateway_taken gw_search_result ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        gateway_taken gw_search_result ->employer_engagement
        task_ready employer_engagement
        task_completed employer_engagement
        task_ready employment_start
        task_completed employment_start
        gateway_taken gw_support_merge ->support_period,followup_year_over
        timer_waiting followup_year_over
        activity_started support_period
        event_reached support_start
        gateway_taken gw_support_loop ->support_followup
        task_ready support_followup
        task_completed support_followup
        gateway_taken gw_stability ->gw_support_loop
        gateway_taken gw_support_loop ->support_followup
        task_ready support_followup
        task_completed support_followup
        gateway_taken gw_stability ->support_stable
        event_reached support_stable
        activity_completed support_period
        task_cancelled followup_year_over
        gateway_taken gw_support_result ->taper_off
        task_ready taper_off
        task_completed taper_off
        gateway_taken gw_closure_merge ->planned_closure
        task_ready planned_closure
        task_completed planned_closure
        gateway_taken gw_outcome ->end_employment
        event_reached end_employment
        task_cancelled monthly_followup
        case_ended end_employment
    """,
    "end_studies": """
        case_started
        event_reached referral_received
        task_ready first_contact
        task_completed first_contact
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->gw_info_merge
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->participant_decision
        task_ready participant_decision
        task_completed participant_decision
        gateway_taken gw_chooses_se ->agreement
        task_ready agreement
        task_completed agreement
        gateway_taken gw_followup_fork ->gw_followup_merge,network_mapping
        task_ready network_mapping
        gateway_taken gw_followup_merge ->followup_due
        timer_waiting followup_due
        task_completed network_mapping
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        gateway_taken gw_search_result ->study_application
        task_ready study_application
        task_completed study_application
        gateway_taken gw_admitted ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        timer_fired followup_due
        task_ready monthly_followup
        gateway_taken gw_search_result ->study_application
        task_ready study_application
        task_completed study_application
        gateway_taken gw_admitted ->study_start
        task_ready study_start
        task_completed study_start
        gateway_taken gw_support_merge ->support_period,followup_year_over
        timer_waiting followup_year_over
        activity_started support_period
        event_reached support_start
        gateway_taken gw_support_loop ->support_followup
        task_ready support_followup
        task_completed support_followup
        gateway_taken gw_stability ->support_stable
        event_reached support_stable
        activity_completed support_period
        task_cancelled followup_year_over
        gateway_taken gw_support_result ->taper_off
        task_ready taper_off
        task_completed taper_off
        gateway_taken gw_closure_merge ->planned_closure
        task_ready planned_closure
        task_completed planned_closure
        gateway_taken gw_outcome ->end_studies
        event_reached end_studies
        task_cancelled monthly_followup
        case_ended end_studies
    """,
    "end_continued_af": """
        case_started
        event_reached referral_received
        task_ready first_contact
        task_completed first_contact
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->gw_info_merge
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->participant_decision
        task_ready participant_decision
        task_completed participant_decision
        gateway_taken gw_chooses_se ->agreement
        task_ready agreement
        task_completed agreement
        gateway_taken gw_followup_fork ->gw_followup_merge,network_mapping
        task_ready network_mapping
        gateway_taken gw_followup_merge ->followup_due
        timer_waiting followup_due
        task_completed network_mapping
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        gateway_taken gw_search_result ->employer_engagement
        task_ready employer_engagement
        task_completed employer_engagement
        task_ready employment_start
        task_completed employment_start
        timer_fired followup_due
        task_ready monthly_followup
        gateway_taken gw_support_merge ->support_period,followup_year_over
        timer_waiting followup_year_over
        activity_started support_period
        event_reached support_start
        gateway_taken gw_support_loop ->support_followup
        task_ready support_followup
        task_completed support_followup
        gateway_taken gw_stability ->support_job_lost
        event_reached support_job_lost
        activity_completed support_period
        task_cancelled followup_year_over
        gateway_taken gw_support_result ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        gateway_taken gw_search_result ->gw_closure_merge
        gateway_taken gw_closure_merge ->planned_closure
        task_ready planned_closure
        task_completed planned_closure
        gateway_taken gw_outcome ->end_continued_af
        event_reached end_continued_af
        task_cancelled monthly_followup
        case_ended end_continued_af
    """,
    "end_other_plan": """
        case_started
        event_reached referral_received
        task_ready first_contact
        task_completed first_contact
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->gw_info_merge
        gateway_taken gw_info_merge ->information_dialogue
        task_ready information_dialogue
        task_completed information_dialogue
        gateway_taken gw_more_information ->participant_decision
        task_ready participant_decision
        task_completed participant_decision
        gateway_taken gw_chooses_se ->agreement
        task_ready agreement
        task_completed agreement
        gateway_taken gw_followup_fork ->gw_followup_merge,network_mapping
        task_ready network_mapping
        gateway_taken gw_followup_merge ->followup_due
        timer_waiting followup_due
        task_completed network_mapping
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        gateway_taken gw_search_result ->gw_profile_merge
        gateway_taken gw_profile_merge ->vocational_profile
        task_ready vocational_profile
        task_completed vocational_profile
        gateway_taken gw_basis_sufficient ->gw_search_merge
        gateway_taken gw_search_merge ->job_search
        task_ready job_search
        task_completed job_search
        timer_fired followup_due
        task_ready monthly_followup
        gateway_taken gw_search_result ->gw_closure_merge
        gateway_taken gw_closure_merge ->planned_closure
        task_ready planned_closure
        task_completed planned_closure
        gateway_taken gw_outcome ->end_other_plan
        event_reached end_other_plan
        task_cancelled monthly_followup
        case_ended end_other_plan
    """,
}
