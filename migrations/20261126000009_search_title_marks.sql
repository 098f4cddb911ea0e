-- Title words marked in the search vector: search ranks entries whose title
-- holds every word first. Each title word is written twice more: marked
-- ('^hai') and marked with its entry's day in UTC ('^20261126:hai'). A page
-- of title matches over recent days asks the GIN index for
-- "('^20261126:hai' & '^20261126:phong':*) | ('^20261125:hai' & ...)":
-- a few short posting lists, where "'^hai' & '^phong':* & ('~d20261126' |
-- ...)" walked the long ones of the words and of each day (1M entries: 0.2
-- ms in the index against 4 ms). The undated marks serve ranges of months
-- and the exclusion of title matches from the next tier.
-- '^' and ':' never occur in a folded word (letters and digits).

-- The dated marks of title words (Tributary sends the folded words, the
-- day comes from the stored sort_at). One expression, so the planner
-- inlines it: ~4 µs a row.
CREATE FUNCTION search_title_days(words text[], at timestamptz) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT '^' || to_char(at AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || w
        FROM unnest(coalesce(words, '{}')) AS w))
$$;

-- The title words of a vector by its marks.
CREATE FUNCTION search_title_words(v tsvector) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT substr(u.lexeme, 2) FROM unnest(v) AS u
                 WHERE left(u.lexeme, 1) = '^' AND position(':' IN u.lexeme) = 0)
$$;

-- The marks for the title words of vectors written before (weight A).
CREATE FUNCTION search_title_marks(v tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT '^' || u.lexeme FROM unnest(v) AS u
        WHERE 'A' = ANY(u.weights) AND left(u.lexeme, 1) NOT IN ('^', '~')))
$$;

-- A stored vector from a vector of words and marks, as the store builds it
-- (for the backfill, the benchmark seed and tests).
CREATE FUNCTION search_document(v tsvector, at timestamptz) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v || search_title_days(search_title_words(v), at) || search_buckets(at)
$$;

UPDATE entry_search
SET search = search || search_title_marks(search)
             || search_title_days(search_title_words(search_title_marks(search)), sort_at)
WHERE NOT EXISTS (SELECT 1 FROM unnest(search) u WHERE left(u.lexeme, 1) = '^');
