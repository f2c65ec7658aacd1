"""From what was received to results: how a row becomes counts and findings (``rows``),
the arithmetic and registry rules (``rules``), agreement between sources and
reconciliation per table (``agreement``, ``reconcile``), the tally by region (``tally``)
and one table as the portal shows it (``tableview``).
"""
