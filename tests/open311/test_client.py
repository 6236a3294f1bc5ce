"""Open311 GeoReport v2 against a running Yiwang, driven by a real client.

`georeport` (PyPI) is a GeoReport v2 client library: it lists services,
reads service definitions and reads requests, in JSON and in XML, which
it parses with xmltodict. It has no call for posting, so the request is
posted the way the spec describes (a form POST to `requests.json` with
the API key), with `requests`, the library's own HTTP dependency.

Run with YIWANG_BIN naming the yiwang binary (scripts/test does).
"""

import os
import socket
import subprocess
import tempfile
import time
import unittest

import requests
from georeport import GeoReport

API_KEY = "open311-journey-key"
# The first grid of the demo district (`serve --demo`, without demo events).
GRID = "320612001001001"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Open311Journey(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        config = os.path.join(cls.dir.name, "yiwang.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(
                f'public_url = "{cls.url}"\n[demo]\nevents_per_year = 0\n'
                f'[open311]\napi_keys = ["{API_KEY}"]\n'
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
        cls.server = subprocess.Popen(
            [
                os.environ["YIWANG_BIN"],
                "--config", config,
                "serve",
                "--demo",
                "--listen", f"127.0.0.1:{port}",
                "--database-url", f"sqlite://{cls.dir.name}/y.db",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                if requests.get(f"{cls.url}/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if cls.server.poll() is not None:
                raise RuntimeError(cls.server.stdout.read().decode())
            time.sleep(0.1)
        else:
            raise RuntimeError("yiwang did not become ready")
        cls.root = f"{cls.url}/open311/v2"

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.dir.cleanup()

    def test_services_requests_and_no_personal_data(self):
        for output in ("json", "xml"):
            client = GeoReport(self.root, api_key=API_KEY, output_format=output)
            services = client.get_service_list()
            codes = {s["service_code"] for s in services}
            self.assertEqual(
                codes,
                {"instability", "safety_hazard", "environment", "public_facility", "illegal_construction"},
            )
            definition = client.get_service_definition("environment")
            self.assertEqual(definition["service_code"], "environment")

        json_client = GeoReport(self.root, api_key=API_KEY)
        attributes = json_client.get_service_definition("environment")["attributes"]
        self.assertEqual(attributes[0]["code"], "grid_code")
        self.assertFalse(attributes[0]["required"])

        posted = requests.post(
            f"{self.root}/requests.json",
            data={
                "api_key": API_KEY,
                "service_code": "environment",
                "attribute[grid_code]": GRID,
                "lat": "39.909",
                "long": "116.656",
                "address_string": "天熹社区3号楼东侧",
                "description": "垃圾堆积，联系人张三 13900000000",
                "email": "zhangsan@example.com",
            },
            timeout=10,
        )
        self.assertEqual(posted.status_code, 200, posted.text)
        request_id = posted.json()[0]["service_request_id"]
        self.assertRegex(request_id, r"^SJ\d{13}$")

        refused = requests.post(
            f"{self.root}/requests.json",
            data={"api_key": "wrong", "service_code": "environment"},
            timeout=10,
        )
        self.assertEqual(refused.status_code, 403)

        one = json_client.get_service_request(request_id)
        self.assertEqual(one["service_request_id"], request_id)
        self.assertEqual(one["status"], "open")
        self.assertEqual(one["service_code"], "environment")
        self.assertEqual(one["lat"], 39.909)
        for personal in ("13900000000", "张三", "zhangsan"):
            self.assertNotIn(personal, str(one))

        xml_client = GeoReport(self.root, api_key=API_KEY, output_format="xml")
        one_xml = xml_client.get_service_request(request_id)
        self.assertEqual(one_xml["service_request_id"], request_id)
        self.assertEqual(one_xml["status"], "open")
        self.assertEqual(one_xml["long"], "116.656")

        open_ones = json_client.get_service_requests(status="open", service_code="environment")
        self.assertEqual([r["service_request_id"] for r in open_ones], [request_id])
        self.assertEqual(json_client.get_service_requests(status="closed"), [])


if __name__ == "__main__":
    unittest.main()
