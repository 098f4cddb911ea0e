-- Time buckets in the search vector: a day lexeme ('~d20261126') and a month
-- lexeme ('~m202611') per entry, from its sort_at in UTC. A search for the
-- newest matches first asks the GIN index for matches within recent buckets
-- ("'hai' & 'phong':* & ('~d20261126' | ...)"), so old matches are dropped
-- inside the index instead of being read from the heap. '~' never occurs in
-- a folded word, so no query of words can match a bucket.
CREATE FUNCTION search_buckets(at timestamptz) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY[
        '~d' || to_char(at AT TIME ZONE 'UTC', 'YYYYMMDD'),
        '~m' || to_char(at AT TIME ZONE 'UTC', 'YYYYMM')])
$$;

UPDATE entry_search SET search = search || search_buckets(sort_at);
