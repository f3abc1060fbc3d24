-- IF NOT EXISTS (a hand edit of the generated statement): on a large registry, operators may build
-- the index beforehand with CREATE INDEX CONCURRENTLY under the same name (docs/operations.md).
CREATE INDEX IF NOT EXISTS "nets_span_idx" ON "nets" USING gist ("version",numrange("start_address", "end_address", '[]'));
