// The CAD import page: upload, CAD layers and preview, mapping, job progress, report.
