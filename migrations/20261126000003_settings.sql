-- Server-wide values shared by every replica (e.g. the cursor signing key).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
