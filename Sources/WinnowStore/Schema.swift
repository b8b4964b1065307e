import GRDB

/// Append-only migrations: a released migration is never edited, only followed by a new one. (So v1's
/// comment that a cluster's id never changes is read with what came later: an id still never
/// changes, but a cluster that an article merges into an older one is deleted, and its articles
/// take the older id; see `DedupStage`.)
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: staged tables") { db in
            try db.execute(sql: """
                CREATE TABLE feeds (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    url TEXT NOT NULL,
                    etag TEXT,
                    last_modified TEXT,
                    next_fetch_at REAL NOT NULL DEFAULT 0,
                    last_fetch_at REAL,
                    last_status INTEGER,
                    last_error TEXT,
                    consecutive_errors INTEGER NOT NULL DEFAULT 0,
                    active INTEGER NOT NULL DEFAULT 1,  -- named by the configuration
                    paused INTEGER NOT NULL DEFAULT 0   -- paused by `winnowctl pause`; survives restarts and reloads
                );
                CREATE TABLE fetch_log (
                    id INTEGER PRIMARY KEY,
                    feed_id INTEGER NOT NULL REFERENCES feeds(id),
                    started_at REAL NOT NULL,
                    duration_ms INTEGER NOT NULL,
                    http_status INTEGER,
                    bytes INTEGER NOT NULL DEFAULT 0,
                    new_items INTEGER NOT NULL DEFAULT 0,
                    error_class TEXT,
                    error TEXT
                );
                CREATE INDEX fetch_log_by_feed ON fetch_log(feed_id, started_at);

                -- Stage 1: items as received.
                CREATE TABLE raw_items (
                    id INTEGER PRIMARY KEY,
                    feed_id INTEGER NOT NULL REFERENCES feeds(id),
                    guid TEXT NOT NULL,
                    link TEXT,
                    title TEXT,
                    author TEXT,
                    published_at REAL,
                    published_raw TEXT,
                    summary TEXT,
                    content TEXT,
                    content_hash TEXT NOT NULL,
                    fetched_at REAL NOT NULL,
                    UNIQUE (feed_id, guid)
                );
                -- The stages' queues: a row per item waiting, written and removed in the same transactions
                -- as the stage rows, so finding pending work never scans finished rows and a stage change
                -- never rewrites a row that carries a whole article.
                CREATE TABLE clean_queue (raw_item_id INTEGER PRIMARY KEY REFERENCES raw_items(id));

                -- Stage 2: cleaned text, and what was removed with the rule that removed it.
                CREATE TABLE clean_articles (
                    id INTEGER PRIMARY KEY,
                    raw_item_id INTEGER NOT NULL UNIQUE REFERENCES raw_items(id),
                    title TEXT,
                    author TEXT,
                    text TEXT NOT NULL,
                    text_hash TEXT NOT NULL,
                    removed_json TEXT NOT NULL,
                    cleaned_at REAL NOT NULL
                );
                CREATE TABLE dedup_queue (clean_article_id INTEGER PRIMARY KEY REFERENCES clean_articles(id));

                -- Stage 3: articles (the verdict and metadata; the text stays in stage 2), their clusters,
                -- signatures and LSH buckets.
                -- A cluster's id is the id of its first article, and never changes.
                CREATE TABLE clusters (
                    id INTEGER PRIMARY KEY,
                    canonical_article_id INTEGER,
                    size INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE articles (
                    id INTEGER PRIMARY KEY,
                    clean_article_id INTEGER NOT NULL UNIQUE REFERENCES clean_articles(id),
                    feed_id INTEGER NOT NULL REFERENCES feeds(id),
                    guid TEXT,
                    url TEXT,
                    title TEXT,
                    author TEXT,
                    published_at REAL,
                    text_hash TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('new', 'duplicate', 'exact-duplicate')),
                    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
                    duplicate_of INTEGER REFERENCES articles(id),
                    similarity REAL,
                    containment REAL,
                    match_kind TEXT,
                    created_at REAL NOT NULL
                );
                CREATE INDEX articles_by_text_hash ON articles(text_hash);
                CREATE INDEX articles_by_url ON articles(url) WHERE url IS NOT NULL;
                CREATE INDEX articles_by_guid ON articles(guid) WHERE guid IS NOT NULL;
                CREATE INDEX articles_by_cluster ON articles(cluster_id);
                CREATE TABLE signatures (
                    article_id INTEGER PRIMARY KEY REFERENCES articles(id),
                    shingle_count INTEGER NOT NULL,
                    signature BLOB NOT NULL
                );
                -- One row per band of each indexed signature; the band is folded into the key.
                -- Rows are pruned by recomputing an expired article's keys, so no second index is needed.
                CREATE TABLE lsh_buckets (
                    key INTEGER NOT NULL,
                    article_id INTEGER NOT NULL,
                    PRIMARY KEY (key, article_id)
                ) WITHOUT ROWID;

                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: maintained counts") { db in
            // Counting a million rows takes a third of a second; `winnowctl status` must answer at once.
            // The counts are kept in the transactions that change the rows, starting from the rows there are.
            try db.execute(sql: """
                ALTER TABLE feeds ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
                UPDATE feeds SET item_count = (SELECT count(*) FROM raw_items r WHERE r.feed_id = feeds.id);
                CREATE TABLE stage_counts (
                    name TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO stage_counts (name, value) VALUES
                    ('raw', (SELECT count(*) FROM raw_items)),
                    ('clean', (SELECT count(*) FROM clean_articles)),
                    ('articles', (SELECT count(*) FROM articles)),
                    ('clusters', (SELECT count(*) FROM clusters)),
                    ('duplicates', (SELECT count(*) FROM articles WHERE status != 'new'));
                -- Per UTC day: articles stored and how many were duplicates (the status "today" line).
                CREATE TABLE daily_counts (
                    day INTEGER PRIMARY KEY,   -- days since 1970-01-01, UTC
                    articles INTEGER NOT NULL DEFAULT 0,
                    duplicates INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO daily_counts (day, articles, duplicates)
                    SELECT CAST(created_at / 86400 AS INTEGER), count(*), sum(status != 'new') FROM articles GROUP BY 1;
                """)
        }
        migrator.registerMigration("v3: recent bucket rows") { db in
            // New bucket rows are appended here and merged into lsh_buckets in key order in bulk
            // (see BucketIndex.swift); no index, the writer holds these rows in memory.
            try db.execute(sql: """
                CREATE TABLE lsh_recent (
                    key INTEGER NOT NULL,
                    article_id INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: configured feed URL") { db in
            // A permanent redirect moves `url`; the configured URL is kept apart so a restart does not move it back.
            try db.execute(sql: """
                ALTER TABLE feeds ADD COLUMN configured_url TEXT;
                UPDATE feeds SET configured_url = url;
                """)
        }
        migrator.registerMigration("v5: page metadata") { db in
            // What an article page says of itself, for items whose feed left it out.
            try db.execute(sql: """
                ALTER TABLE clean_articles ADD COLUMN published_at REAL;
                ALTER TABLE clean_articles ADD COLUMN canonical_url TEXT;
                """)
        }
        migrator.registerMigration("v6: learned boilerplate") { db in
            // In how many articles of a source (a site) each short paragraph was seen: the ones seen often
            // are that source's boilerplate (see LearnedBoilerplate).
            try db.execute(sql: """
                CREATE TABLE learned_lines (
                    source TEXT NOT NULL,
                    line TEXT NOT NULL,
                    articles INTEGER NOT NULL,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    PRIMARY KEY (source, line)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v7: recent buckets by article") { db in
            // One row an article with its bucket keys as a JSON array, instead of one row a key (see
            // BucketIndex.swift). The generation moves on so a running writer reloads its copy.
            try db.execute(sql: """
                CREATE TABLE lsh_recent_by_article (
                    article_id INTEGER NOT NULL,
                    keys TEXT NOT NULL
                );
                INSERT INTO lsh_recent_by_article (article_id, keys)
                    SELECT article_id, json_group_array(key) FROM lsh_recent GROUP BY article_id ORDER BY min(rowid);
                DROP TABLE lsh_recent;
                ALTER TABLE lsh_recent_by_article RENAME TO lsh_recent;
                INSERT INTO settings (key, value) VALUES ('dedup.recent_generation', '1')
                    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
                """)
        }
        migrator.registerMigration("v8: bucket runs") { db in
            // Each merge of the recent rows writes them here as one sorted run, packed in chunks; the
            // runs are merged into lsh_buckets only when sixteen have piled up (see BucketRuns.swift).
            try db.execute(sql: """
                CREATE TABLE lsh_runs (
                    id INTEGER PRIMARY KEY,          -- run << 32 | chunk: a run's chunks are consecutive, in key order
                    min_article_id INTEGER NOT NULL, -- the chunk's oldest article (retention)
                    pairs BLOB NOT NULL              -- (key, article_id) rows, sorted, 16 bytes each, little-endian
                );
                """)
        }
        migrator.registerMigration("v9: webhook outbox") { db in
            // One row a webhook delivery still owed, written from the stored articles (an article id cursor
            // in settings, `webhooks.enqueued_through`) and deleted once the receiver took it: a crash or a
            // receiver that is down loses nothing, and memory holds only the deliveries being tried. The body
            // is not stored: it is the article's export line, made when it is sent (storing it doubled the
            // store's writes and slowed the pipeline by a fifth under a dead receiver).
            // Backoff is kept per receiver (webhook_endpoints), so a failure is one row written, however
            // many deliveries wait behind it.
            try db.execute(sql: """
                CREATE TABLE webhook_outbox (
                    id INTEGER PRIMARY KEY,
                    endpoint TEXT NOT NULL,
                    event TEXT NOT NULL,
                    article_id INTEGER NOT NULL,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    created_at REAL NOT NULL
                );
                CREATE INDEX webhook_outbox_by_endpoint ON webhook_outbox(endpoint, id);
                CREATE TABLE webhook_endpoints (
                    endpoint TEXT PRIMARY KEY,
                    failures INTEGER NOT NULL DEFAULT 0,  -- failed tries in a row
                    retry_at REAL NOT NULL DEFAULT 0,     -- no try before this time
                    last_error TEXT,
                    last_error_at REAL
                );
                """)
        }
        migrator.registerMigration("v10: item media") { db in
            // What a feed item carries besides its text (podcasts, photo feeds, maps): a row only for the
            // items that carry any, so raw_items and its insert stay as they were.
            try db.execute(sql: """
                CREATE TABLE item_media (
                    raw_item_id INTEGER PRIMARY KEY REFERENCES raw_items(id),
                    enclosures TEXT,   -- JSON array of {url, type, length, medium, duration, width, height}; NULL: none
                    image_url TEXT,
                    duration REAL,     -- running time in seconds
                    latitude REAL,     -- the location as a point: a Point's, else the centre of the geometry's bounds
                    longitude REAL,
                    geometry TEXT      -- the location as the feed gave it: JSON {type, coordinates: [[lon, lat(, alt)]]}
                );
                """)
        }
        migrator.registerMigration("v11: stored key filter") { db in
            // The filter of `lsh_buckets`' keys as the last merge into it left them (KeyFilter.persisted):
            // a process that starts reads 16 MB instead of scanning every key of the keyed table.
            try db.execute(sql: """
                CREATE TABLE lsh_filter (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    generation INTEGER NOT NULL,  -- dedup.recent_generation right after that merge
                    bits BLOB NOT NULL
                );
                """)
        }
        return migrator
    }
}
