"""Photos: opening them safely (``imaging``), reading their QR code (``qrdecode``), OCR of
the printed numbers (``ocr``) and the reading side of ingestion (``reader``).
"""
