"""The IATA CASS directory import: the importer, its runs, its admin upload."""
