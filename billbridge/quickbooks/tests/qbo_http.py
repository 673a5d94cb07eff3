"""Plain HTTP to the running emulator for the payload and company tests: what Billbridge's QBO
client does, without it, so these tests depend only on the emulator and the pure code."""

import httpx
import simplejson

from billbridge.quickbooks.company import COMPANY_QUERIES, Company, company_from_qbo

MINOR_VERSION = "75"


def new_company(emulator, *, country: str = "US", **preferences) -> str:
    """A sample company (Intuit's sandbox look-alike) made through the control API; its realm."""
    answer = httpx.post(
        f"{emulator.control_url}/companies",
        json={"name": f"Sandbox Company {country}", "seed": "sample", "country": country,
              "preferences": preferences},
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()["realm_id"]


def set_preferences(emulator, realm: str, **preferences) -> None:
    httpx.patch(
        f"{emulator.control_url}/companies/{realm}/preferences", json=preferences
    ).raise_for_status()


class Api:
    """The data API of one company, answers parsed with Decimals (as Billbridge reads them)."""

    def __init__(self, emulator, realm: str) -> None:
        self.realm = realm
        token = emulator.connect(realm)["access_token"]
        self.http = httpx.Client(
            base_url=f"{emulator.api_url}/company/{realm}",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            params={"minorversion": MINOR_VERSION},
        )

    def _answer(self, response: httpx.Response) -> dict:
        assert response.status_code == 200, response.text
        return simplejson.loads(response.text, use_decimal=True)

    def get(self, path: str) -> dict:
        return self._answer(self.http.get(path))

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.http.post(
            path,
            content=simplejson.dumps(body, use_decimal=True),
            headers={"Content-Type": "application/json"},
        )

    def create(self, entity: str, body: dict) -> dict:
        return self._answer(self.post(f"/{entity.lower()}", body))[entity]

    def query(self, statement: str) -> list[dict]:
        answer = self._answer(self.http.get("/query", params={"query": statement}))
        rows = answer["QueryResponse"]
        return next((value for value in rows.values() if isinstance(value, list)), [])

    def company(self) -> Company:
        """The snapshot, read the way COMPANY_QUERIES tells a caller to."""
        lists = {
            key: self.query(f"{statement} maxresults 1000")
            for key, statement in COMPANY_QUERIES.items()
        }
        return company_from_qbo(
            self.realm,
            self.get("/preferences")["Preferences"],
            self.get(f"/companyinfo/{self.realm}")["CompanyInfo"],
            **lists,
        )
