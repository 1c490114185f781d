-- Reference data: the countries users may hold a nationality of, with each one's genesis
-- allocation share (spec/rules.md §3: quota = floor(phase_limit × allocation_share)).
-- Seeded by `gx seed` from data/countries.csv (235 rows); existing rows are never overwritten.
--
-- Also defines gx_touch_updated_at(), the trigger function every table with an `updated_at`
-- column uses, so the column is right whichever code path writes the row.

CREATE FUNCTION gx_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE countries (
    country_code      char(2) PRIMARY KEY CHECK (country_code ~ '^[A-Z]{2}$'),
    country_name      text NOT NULL CHECK (length(country_name) > 0),
    region            text CHECK (region IN
                          ('Africa', 'Asia', 'Europe', 'North America', 'South America', 'Oceania')),
    -- Share of the world population, exact as published (no float rounding): NULL = not known
    -- yet, 0 = known to receive no genesis quota (Kosovo in the reference list).
    allocation_share  numeric CHECK (allocation_share >= 0 AND allocation_share <= 1),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX countries_region_idx ON countries (region);

CREATE TRIGGER countries_touch_updated_at BEFORE UPDATE ON countries
    FOR EACH ROW EXECUTE FUNCTION gx_touch_updated_at();
