-- Full text and discovery (#22).
-- A source may have its entries' article pages fetched and their main text
-- extracted; a source added as a web page keeps the page it was found from.
ALTER TABLE sources
    ADD COLUMN full_text BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN discovered_from TEXT;

-- Config sync matches a [[sources]] page URL to the feed found from it.
CREATE INDEX sources_discovered_from ON sources (discovered_from) WHERE discovered_from IS NOT NULL;

-- Where an entry's content came from; the link whose page was extracted
-- (or tried: an entry is extracted once, again only when its link
-- changes) and why it failed.
ALTER TABLE entries
    ADD COLUMN content_source TEXT NOT NULL DEFAULT 'feed'
        CHECK (content_source IN ('feed', 'extracted')),
    ADD COLUMN extracted_from TEXT,
    ADD COLUMN extraction_error TEXT;
