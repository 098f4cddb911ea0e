-- Title words marked in the search vector: search ranks entries whose title
-- holds every word first. Each title word is written twice more: marked
-- ('^hai') and marked with its entry's day in UTC ('^20261126:hai'). A page
-- of title matches over recent days asks the GIN index for
-- "('^20261126:hai' & '^20261126:phong':*) | ('^20261125:hai' & ...)":
-- a few short posting lists, where "'^hai' & '^phong':* & ('~d20261126' |
-- ...)" walked the long ones of the words and of each day (1M entries: 0.1
-- ms in the index against 4 ms). The undated marks serve ranges of months
-- and the exclusion of title matches from the next tier.
-- '^' and ':' never occur in a folded word (letters and digits).

-- Marks from the title words of vectors written before (weight A).
CREATE FUNCTION search_title_marks(v tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg('^' || lexeme)), ''::tsvector)
    FROM unnest(v) AS u
    WHERE 'A' = ANY(u.weights) AND left(u.lexeme, 1) NOT IN ('^', '~')
$$;

-- The dated marks for the marks of `v`.
CREATE FUNCTION search_title_days(v tsvector, at timestamptz) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(
               '^' || to_char(at AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || substr(u.lexeme, 2))),
           ''::tsvector)
    FROM unnest(v) AS u
    WHERE left(u.lexeme, 1) = '^' AND position(':' IN u.lexeme) = 0
$$;

-- A stored search vector: the words and marks of an entry (built by
-- Tributary), its dated marks and its day and month buckets.
CREATE FUNCTION search_document(v tsvector, at timestamptz) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v || search_title_days(v, at) || search_buckets(at)
$$;

UPDATE entry_search
SET search = search || search_title_marks(search)
             || search_title_days(search_title_marks(search), sort_at)
WHERE NOT EXISTS (SELECT 1 FROM unnest(search) u WHERE left(u.lexeme, 1) = '^');
