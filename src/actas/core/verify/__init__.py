"""``actas verify`` as pure functions: the procedure (``procedure``, its steps in
``files``, ``signature``, ``tree``, ``outputs``, ``photos`` and ``audits``, its state in ``run``
and its outcome in ``report``), re-reading imported
rows from their logged bytes (``replay``) and re-deriving every table (``rederive``,
with ``reread`` and ``published``).
"""
