"""Photo ingestion: decode and log photos from folders (``ingest``), witnesses' uploads
(``uploads``), the PostgreSQL job queue and its workers (``queue``, ``workers``).
"""
