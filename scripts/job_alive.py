"""Health check of an Airflow service container (docker-compose.yml): does this container's job of
the given type run, with a heartbeat in the last minute? The answer of `airflow jobs check
--job-type TYPE --local`, read from the metadata database with psycopg2 alone: importing Airflow
for every check costs 3-20 s of CPU on a small host, and timed out under load.

Usage: python scripts/job_alive.py TriggererJob|DagProcessorJob   (exit 0: alive)
"""
from __future__ import annotations

import os
import socket
import sys
from urllib.parse import unquote, urlsplit

import psycopg2

GRACE_SECONDS = 60   # heartbeats come every few seconds; a busy host may delay some


def main(job_type: str) -> int:
    url = urlsplit(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    con = psycopg2.connect(host=url.hostname, port=url.port or 5432, dbname=url.path.lstrip("/"),
                           user=unquote(url.username or ""), password=unquote(url.password or ""),
                           connect_timeout=10)
    try:
        with con.cursor() as cur:
            cur.execute("""select count(*) from job
                           where job_type = %s and hostname = %s and state = 'running'
                             and latest_heartbeat > now() - make_interval(secs => %s)""",
                        [job_type, socket.getfqdn(), GRACE_SECONDS])   # Airflow's own hostname
            alive = cur.fetchone()[0]
    finally:
        con.close()
    print(f"{job_type} on {socket.getfqdn()}: {alive} alive")
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
