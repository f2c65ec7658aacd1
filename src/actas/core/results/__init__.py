"""From what was received to results: how a row becomes counts and findings (``rows``,
``reading``, ``rowplan``),
the arithmetic and registry rules (``rules``), agreement between sources and
reconciliation per table (``agreement``, ``reconcile``), the tally by region
(``tally``, over ``arrays``, ``regions``, ``expected`` and ``region_tally``)
and one table as the portal shows it (``tableview``).
"""
