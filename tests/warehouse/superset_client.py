"""Run by .venv-superset's python (imports nothing of the project): drives Superset's REST API through
its Flask test client, as a BI admin's browser or script would, and prints what it read as JSON.

    python superset_client.py <admin user> <password> <bundle zip>

First the bundle is imported as assets (POST /api/v1/assets/import/, overwriting): every connection
and dataset, also those no chart uses, which `superset import-dashboards` leaves out.

For each dataset of the imported bundle: sync its columns from the database (PUT
/api/v1/dataset/<id>/refresh, which copies column comments into descriptions), then read it back.
For each chart: its saved query through GET /api/v1/chart/<id>/data/, and the same query on the
dataset of the same table on every other database (POST /api/v1/chart/data).
"""
from __future__ import annotations

import json
import sys

import prison
from superset.app import create_app


def main(user: str, password: str, bundle: str) -> dict:
    app = create_app()
    client = app.test_client()
    login = client.post("/api/v1/security/login",
                        json={"username": user, "password": password, "provider": "db", "refresh": False})
    assert login.status_code == 200, login.data
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    def get(url: str) -> dict:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.status_code, r.data[:2000])
        return r.json

    with open(bundle, "rb") as zf:
        r = client.post("/api/v1/assets/import/", headers=headers, content_type="multipart/form-data",
                        data={"bundle": (zf, "bundle.zip"), "overwrite": "true"})
    assert r.status_code == 200, r.data[:3000]

    many = prison.dumps({"page_size": 100})
    out: dict = {"databases": {}, "datasets": {}, "charts": {}, "dashboards": {}}
    for database in get(f"/api/v1/database/?q={many}")["result"]:
        full = get(f"/api/v1/database/{database['id']}/connection")["result"]
        out["databases"][full["database_name"]] = {"backend": database["backend"], "uri": full["sqlalchemy_uri"],
                                                   "allow_dml": full["allow_dml"]}
    by_table: dict[str, dict[str, int]] = {}
    for ds in get(f"/api/v1/dataset/?q={many}")["result"]:
        r = client.put(f"/api/v1/dataset/{ds['id']}/refresh", headers=headers)
        assert r.status_code == 200, (ds["table_name"], r.data[:2000])
        full = get(f"/api/v1/dataset/{ds['id']}")["result"]
        database = full["database"]["database_name"]
        by_table.setdefault(full["table_name"], {})[database] = ds["id"]
        out["datasets"][f"{database}/{full['table_name']}"] = {
            "id": ds["id"], "schema": full["schema"], "backend": full["database"]["backend"],
            "columns": {c["column_name"]: {"description": c["description"], "type": c["type"]}
                        for c in full["columns"]},
            "metrics": {m["metric_name"]: {"expression": m["expression"], "verbose_name": m["verbose_name"]}
                        for m in full["metrics"]},
        }
    for chart in get(f"/api/v1/chart/?q={many}")["result"]:
        full = get(f"/api/v1/chart/{chart['id']}")["result"]
        saved = get(f"/api/v1/chart/{chart['id']}/data/")
        context = json.loads(full["query_context"])
        table = next(t for t, ids in by_table.items() if context["datasource"]["id"] in ids.values())
        results = {"saved": [{"colnames": q["colnames"], "coltypes": q["coltypes"], "data": q["data"]}
                             for q in saved["result"]]}
        for database, dataset_id in by_table[table].items():
            context["datasource"] = {"id": dataset_id, "type": "table"}
            for query in context["queries"]:
                query.pop("datasource", None)
            r = client.post("/api/v1/chart/data", json=context, headers=headers)
            assert r.status_code == 200, (full["slice_name"], database, r.data[:2000])
            results[database] = [{"colnames": q["colnames"], "data": q["data"]} for q in r.json["result"]]
        out["charts"][full["slice_name"]] = {"table": table, "viz_type": full["viz_type"], **results}
    for dash in get(f"/api/v1/dashboard/?q={many}")["result"]:
        charts = get(f"/api/v1/dashboard/{dash['id']}/charts")["result"]
        out["dashboards"][dash["dashboard_title"]] = sorted(c["slice_name"] for c in charts)
    return out


if __name__ == "__main__":
    print("SUPERSET-RESULT " + json.dumps(main(*sys.argv[1:4]), ensure_ascii=False, default=str))
