"""I/O behind small interfaces: the database (``store/``, the only place with SQL), the photo
store (``blobs``), the log over the store (``tlog``), reading tabular files (``tabular``),
writing and reading bundles (``bundle_files``), photos (``photo/``: imaging, QR decoding,
OCR, reading), the built-in election definitions (``elections/``) and optional extras.
Adapters import the core and third-party libraries, never the app.
"""
