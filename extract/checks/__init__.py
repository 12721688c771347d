"""Checks on extracted values: ID numbers (GB 11643-1999), administrative divisions,
ethnic groups, ID-number repair and the ID card front/back consistency checks.

Modules: :mod:`.idnumber`, :mod:`.divisions`, :mod:`.ethnicity`, :mod:`.repair`,
:mod:`.idcard` (check vocabulary and ``FAILING_CHECKS``).
"""
