-- Full text tries a page again after a failure that may pass (a timeout, a
-- refused connection, HTTP 429 or 5xx): how many times its page was fetched,
-- and after when a poll that reads the entry fetches it again (NULL: the
-- outcome is final). Both constant defaults: no table rewrite.
ALTER TABLE entries
    ADD COLUMN extraction_attempts SMALLINT NOT NULL DEFAULT 0,
    ADD COLUMN extraction_retry_at TIMESTAMPTZ;

-- A claim asks whether a source has pages due (few rows ever have one).
CREATE INDEX entries_extraction_retry ON entries (source_id, extraction_retry_at)
    WHERE extraction_retry_at IS NOT NULL;
