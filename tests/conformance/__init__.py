"""Camunda 7 engine tests ported to sedflow (a package, so that its conftest and harness never shadow the
suite's own ``conftest`` module)."""
