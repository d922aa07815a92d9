-- The advertising-law (广告法) rules the compliance check applies: data, editable by admins and
-- importable. A starter set ships with the binary and is added when missing; docs/compliance.md.

CREATE TABLE compliance_rules (
    code          TEXT    PRIMARY KEY,
    category      TEXT    NOT NULL,
    pattern       TEXT    NOT NULL,
    allow         TEXT    NOT NULL DEFAULT '[]',
    article       TEXT    NOT NULL,
    message       TEXT    NOT NULL,
    suggestion    TEXT    NOT NULL,
    replacements  TEXT    NOT NULL DEFAULT '{}',
    severity      TEXT    NOT NULL CHECK (severity IN ('block', 'warn')),
    goods         TEXT    NOT NULL DEFAULT '[]',
    example       TEXT    NOT NULL,
    clean_example TEXT    NOT NULL DEFAULT '',
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    starter       INTEGER NOT NULL DEFAULT 0 CHECK (starter IN (0, 1)),
    updated_by    BIGINT,
    updated_at    BIGINT  NOT NULL
);
