# The same figures as sellstream's review and trend, computed by DuckDB from the raw events
# (`bench analytics` runs this; kinds and flags as in crates/analytics/src/model.rs).
import json, statistics, sys, time
import duckdb

csv, session = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{csv}', header=true, auto_detect=true)")
n = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
load_s = time.perf_counter() - t

REPORT = [
    # totals
    """SELECT COUNT(*) FILTER (kind = 2), COUNT(*) FILTER (kind = 3), SUM(value) FILTER (kind = 4),
              COUNT(*) FILTER (kind = 5), SUM(value) FILTER (kind = 6), COUNT(*) FILTER (kind = 7),
              COUNT(*) FILTER (kind = 8), COUNT(*) FILTER (kind = 10), COUNT(*) FILTER (kind = 12),
              COUNT(*) FILTER (kind = 20 AND flags & 2 = 2), SUM(value) FILTER (kind = 21),
              COUNT(*) FILTER (kind = 21 AND flags & 2 = 2), SUM(value) FILTER (kind = 23)
       FROM events WHERE session_id = $s AND flags & 1 = 0""",
    # unique viewers per step, and the watch-time distribution
    """WITH v AS (
         SELECT viewer, SUM(value) FILTER (kind = 4) AS watch,
                bool_or(kind = 2) AS entered, bool_or(kind = 3) AS viewed, bool_or(kind = 1) AS imp,
                bool_or(kind = 10) AS exp, bool_or(kind = 12) AS clk, bool_or(kind = 20) AS ord,
                bool_or(kind = 21) AS paid, bool_or(kind IN (5, 7, 8, 9)) AS inter
         FROM events WHERE session_id = $s AND flags & 1 = 0 AND viewer <> 0 GROUP BY viewer)
       SELECT COUNT(*) FILTER (entered), COUNT(*) FILTER (viewed OR watch >= 3000), COUNT(*) FILTER (imp),
              COUNT(*) FILTER (exp), COUNT(*) FILTER (clk), COUNT(*) FILTER (ord), COUNT(*) FILTER (paid),
              COUNT(*) FILTER (inter),
              COUNT(*) FILTER (entered AND COALESCE(watch, 0) < 3000),
              COUNT(*) FILTER (entered AND watch >= 3000 AND watch < 10000),
              COUNT(*) FILTER (entered AND watch >= 10000 AND watch < 30000),
              COUNT(*) FILTER (entered AND watch >= 30000 AND watch < 60000),
              COUNT(*) FILTER (entered AND watch >= 60000 AND watch < 180000),
              COUNT(*) FILTER (entered AND watch >= 180000 AND watch < 600000),
              COUNT(*) FILTER (entered AND watch >= 600000 AND watch < 1800000),
              COUNT(*) FILTER (entered AND watch >= 1800000)
       FROM v""",
    # peak concurrent viewers
    """SELECT MAX(online) FROM (
         SELECT SUM(CASE kind WHEN 2 THEN 1 ELSE -1 END) OVER (ORDER BY id) AS online
         FROM events WHERE session_id = $s AND flags & 1 = 0 AND kind IN (2, 4))""",
    # minute by minute
    """SELECT "at" - "at" % 60000 AS m, COUNT(*) FILTER (kind = 2), COUNT(*) FILTER (kind = 3),
              COUNT(*) FILTER (kind = 5), SUM(value) FILTER (kind = 6), COUNT(*) FILTER (kind = 12),
              COUNT(*) FILTER (kind = 20 AND flags & 2 = 2), SUM(value) FILTER (kind = 21)
       FROM events WHERE session_id = $s AND flags & 1 = 0 GROUP BY m ORDER BY m""",
    # per product
    """SELECT product_id, COUNT(*) FILTER (kind = 10), COUNT(*) FILTER (kind = 12), COUNT(*) FILTER (kind = 13),
              COUNT(*) FILTER (kind = 20), SUM(units) FILTER (kind = 20), SUM(value) FILTER (kind = 21),
              SUM(value) FILTER (kind = 23)
       FROM events WHERE session_id = $s AND flags & 1 = 0 AND product_id IS NOT NULL
       GROUP BY product_id""",
]

TREND = """
WITH v AS (
  SELECT session_id, viewer, bool_or(kind = 3) AS viewed, bool_or(kind = 21) AS paid
  FROM events WHERE flags & 1 = 0 AND viewer <> 0 GROUP BY session_id, viewer),
u AS (SELECT session_id, COUNT(*) FILTER (viewed) AS uv, COUNT(*) FILTER (paid) AS buyers FROM v GROUP BY session_id),
t AS (
  SELECT session_id, MIN("at") AS first_at, COUNT(*) FILTER (kind = 3) AS pv, SUM(value) FILTER (kind = 4) AS watch,
         SUM(value) FILTER (kind = 21) AS paid, SUM(value) FILTER (kind = 23) AS refunded,
         COUNT(*) FILTER (kind = 21 AND flags & 2 = 2) AS orders
  FROM events WHERE flags & 1 = 0 GROUP BY session_id)
SELECT CAST(to_timestamp((t.first_at + 8 * 3600000) / 1000) AS DATE) AS day, COUNT(*), SUM(u.uv), SUM(t.pv),
       SUM(t.watch), SUM(t.paid) - COALESCE(SUM(t.refunded), 0), SUM(t.orders), SUM(u.buyers)
FROM t JOIN u USING (session_id) GROUP BY day ORDER BY day
"""

def timed(runs, f):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)

def report():
    for q in REPORT:
        con.execute(q.replace("$s", str(session))).fetchall()

report_ms = timed(7, report)
trend_ms = timed(5, lambda: con.execute(TREND).fetchall())
print(json.dumps({"events": n, "load_events_per_s": n / load_s, "report_ms": report_ms, "trend_ms": trend_ms}))
