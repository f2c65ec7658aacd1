"""``actas verify`` as pure functions: the procedure (``procedure``), re-reading imported
rows from their logged bytes (``replay``) and re-deriving every table (``rederive``).
"""
