-- The live room: its durable event log, chat bans, follows, and the banned-word list with a
-- starter set (abuse, contact details, off-platform trading) that admins edit.

CREATE TABLE room_events (
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    actor_id   BIGINT,
    ref_id     BIGINT,
    amount     BIGINT,
    payload    TEXT   NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE INDEX room_events_kind ON room_events (session_id, kind, seq);
CREATE INDEX room_events_ref ON room_events (session_id, ref_id);

CREATE TABLE chat_bans (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    banned_by  BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE follows (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    host_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, host_id)
);
CREATE INDEX follows_host ON follows (host_id);

CREATE TABLE banned_words (
    word       TEXT   PRIMARY KEY,
    category   TEXT   NOT NULL CHECK (category IN ('abuse', 'contact', 'trading', 'custom')),
    created_at BIGINT NOT NULL
);
INSERT INTO banned_words (word, category, created_at) VALUES
    ('傻逼', 'abuse', 0), ('傻b', 'abuse', 0), ('sb主播', 'abuse', 0), ('操你', 'abuse', 0),
    ('草泥马', 'abuse', 0), ('你妈死', 'abuse', 0), ('去死', 'abuse', 0), ('贱人', 'abuse', 0),
    ('脑残', 'abuse', 0), ('废物', 'abuse', 0), ('滚蛋', 'abuse', 0), ('婊子', 'abuse', 0),
    ('fuck', 'abuse', 0), ('bitch', 'abuse', 0),
    ('加微信', 'contact', 0), ('加我微信', 'contact', 0), ('微信号', 'contact', 0), ('加v', 'contact', 0),
    ('加薇', 'contact', 0), ('威信', 'contact', 0), ('vx', 'contact', 0), ('wx号', 'contact', 0),
    ('扣扣', 'contact', 0), ('qq号', 'contact', 0), ('加qq', 'contact', 0), ('加群', 'contact', 0),
    ('扫码', 'contact', 0), ('二维码', 'contact', 0), ('私信我', 'contact', 0), ('联系方式', 'contact', 0),
    ('私下交易', 'trading', 0), ('私聊下单', 'trading', 0), ('线下交易', 'trading', 0), ('转账给我', 'trading', 0),
    ('找我买', 'trading', 0), ('便宜出', 'trading', 0), ('代购', 'trading', 0), ('闲鱼', 'trading', 0),
    ('拼多多更便宜', 'trading', 0), ('淘口令', 'trading', 0);
