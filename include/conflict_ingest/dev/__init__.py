"""The local development stack (moto S3, sample site, SMTP sink) for make run and the tests."""
