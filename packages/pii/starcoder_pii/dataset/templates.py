"""Where PII appears in real code, as snippet templates with typed slots.

A slot ``«LABEL»`` (or ``«KEY:kind»``) is filled with a value of that PII
class and becomes a labelled span; a slot ``«~KIND»`` is a hard negative
(hash, UUID, version, placeholder address, private IP ...) filled with a value
that looks like PII but is not, and stays unlabelled. Snippets follow the
places PII shows up in code (StarCoder, section 4.1): author headers and
licence lines, settings dicts, connection strings, environment assignments,
comments and test fixtures. ``{c}`` is the host language's line comment.
"""

from __future__ import annotations

# Shared by every language: comments and licence headers.
COMMENT = (
    "{c} Author: «NAME» <«EMAIL»>\n",
    "{c} Copyright (c) 2014-2021 «NAME»\n",
    "{c} Maintainer: «NAME» («USERNAME»)\n",
    "{c} Contact «EMAIL» for access to the staging box at «IP_ADDRESS»\n",
    "{c} TODO(«USERNAME»): remove once the upstream fix lands\n",
    "{c} Written by «NAME» <«EMAIL»>, reviewed by «NAME»\n",
    "{c} Old key, rotated: «KEY:any»\n",
    "{c} login with «USERNAME» / «PASSWORD»\n",
    # Names and handles where real code states them (docs/pii.md, "Figures on real files").
    "{c} Copyright (C) 2003, 2004-2009 «NAME»\n",
    "{c} Copyright: «NAME», «NAME»\n",
    "{c} (c) 2011-2014 «NAME» <«EMAIL»>\n",
    "{c} Thanks to «NAME» for the patch.\n",
    "{c} Patch by «NAME» (@«USERNAME»), reviewed by @«USERNAME»\n",
    "{c} See https://github.com/«USERNAME»/tools for details\n",
    "{c} Docs: https://«USERNAME».github.io/\n",
    "{c} cc @«USERNAME»\n",
    "{c} «NAME» <«EMAIL»>\n",
    "{c}  -- «NAME» <«EMAIL»>  Mon, 01 Jan 2024 10:00:00 +0000\n",
    "{c}   [ «NAME» ]\n",
    "{c} mysql -u «USERNAME» -p'«PASSWORD»' app < dump.sql\n",
)
NEGATIVE_COMMENT = (
    "{c} sha256: «~HEX64»\n",
    "{c} Report bugs to «~EXAMPLE_EMAIL»\n",
    "{c} Tested against release «~VERSION»\n",
    "{c} listens on «~PRIVATE_IP» by default\n",
    "{c} request id «~UUID»\n",
    "{c} falls back to the resolver at «~DNS»\n",
    "{c} fixture digest sha512-«~B64SHA512»\n",
    "{c} Copyright (c) 2015 «~ORGNAME», Inc.\n",
    "{c} Source: https://github.com/«~ORG»/«~ORG»\n",
    "{c} Maintainer: «~ORGNAME» Team\n",
    "{c} token_type = 'Bearer'\n",
)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "python": (
        '__author__ = "«NAME»"\n__email__ = "«EMAIL»"\n',
        'DATABASES = {\n    "default": {\n        "USER": "«USERNAME»",\n'
        '        "PASSWORD": "«PASSWORD»",\n        "HOST": "«IP_ADDRESS»",\n    }\n}\n',
        'AWS_ACCESS_KEY_ID = "«KEY:aws»"\nAWS_SECRET_ACCESS_KEY = "«KEY:aws_secret»"\n',
        'client = Client(api_key="«KEY:any»")\n',
        'engine = create_engine("postgresql://«USERNAME»:«PASSWORD»@«IP_ADDRESS»:5432/app")\n',
        "def test_login(client):\n    response = client.post(\n"
        '        "/login", data={"username": "«USERNAME»", "password": "«PASSWORD»"}\n    )\n',
        'SSH_HOST = "«IP_ADDRESS»"\n',
        'PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----\n«KEY:pem»\n'
        '-----END RSA PRIVATE KEY-----"""\n',
        'headers = {"Authorization": "Bearer «KEY:jwt»"}\n',
        'SLACK_TOKEN = os.getenv("SLACK_TOKEN", "«KEY:slack»")\n',
        'server.login("«EMAIL»", "«PASSWORD»")\n',
        'GITHUB_TOKEN = "«KEY:github»"\n',
        'stripe.api_key = "«KEY:stripe»"\n',
        'user = User(name="«NAME»", email="«EMAIL»", username="«USERNAME»")\n',
        'GOOGLE_MAPS_KEY = "«KEY:google»"\n',
        'SECRET_KEY = "«KEY:generic»"\n',
        'conn = psycopg2.connect(host="«IP_ADDRESS»", user="«USERNAME»", password="«PASSWORD»")\n',
        '__author__ = "«NAME» («EMAIL»)"\n__copyright__ = "Copyright 2006, «NAME»"\n',
        '__credits__ = [\n    "«NAME»",\n    "«NAME»",\n]\n',
        'smtp.login(SMTP_USER, "«PASSWORD»")\n',
        'resp = requests.get(url, auth=("«USERNAME»", "«PASSWORD»"))\n',
        "headers = {'Authorization': 'token «KEY:hex»'}\n",
        'API_KEY = os.environ.get("API_KEY", "«KEY:hex»")\n',
        'url = "https://github.com/«USERNAME»/«~ORG»"\n',
    ),
    "javascript": (
        "const config = {\n  user: '«USERNAME»',\n  password: '«PASSWORD»',\n"
        "  host: '«IP_ADDRESS»',\n};\n",
        'const API_KEY = "«KEY:any»";\n',
        "/**\n * @author «NAME» <«EMAIL»>\n */\n",
        "mongoose.connect('mongodb://«USERNAME»:«PASSWORD»@«IP_ADDRESS»:27017/db');\n",
        "fetch(url, { headers: { Authorization: 'token «KEY:github»' } });\n",
        "const stripe = require('stripe')('«KEY:stripe»');\n",
        "it('logs in', () => login('«EMAIL»', '«PASSWORD»'));\n",
    ),
    "c": (
        "/*\n * Copyright (C) 2009 «NAME» <«EMAIL»>\n */\n",
        '#define API_KEY "«KEY:any»"\n',
        'static const char *password = "«PASSWORD»";\n',
        'static const char *server_ip = "«IP_ADDRESS»";\n',
        'const char *user = "«USERNAME»";\n',
    ),
    "shell": (
        "export AWS_ACCESS_KEY_ID=«KEY:aws»\nexport AWS_SECRET_ACCESS_KEY=«KEY:aws_secret»\n",
        'export DB_PASSWORD="«PASSWORD»"\n',
        "ssh «USERNAME»@«IP_ADDRESS»\n",
        'git config user.email "«EMAIL»"\ngit config user.name "«NAME»"\n',
        "curl -u «USERNAME»:«PASSWORD» https://api.service.io/v1/items\n",
        "export SLACK_TOKEN=«KEY:slack»\n",
    ),
    "yaml": (
        "database:\n  username: «USERNAME»\n  password: «PASSWORD»\n  host: «IP_ADDRESS»\n",
        "maintainer: «NAME» <«EMAIL»>\n",
        "api_key: «KEY:any»\n",
        "env:\n  GITHUB_TOKEN: «KEY:github»\n",
    ),
    "json": (
        '{"author": "«NAME»", "email": "«EMAIL»"}\n',
        '{"user": "«USERNAME»", "password": "«PASSWORD»", "host": "«IP_ADDRESS»"}\n',
        '{"apiKey": "«KEY:any»"}\n',
    ),
}
NEGATIVES: dict[str, tuple[str, ...]] = {
    "python": (
        'EXPECTED_SHA256 = "«~HEX64»"\n',
        'commit = "«~HEX40»"\n',
        'REQUEST_ID = "«~UUID»"\n',
        '__version__ = "«~VERSION»"\n',
        'DEFAULT_FROM = "«~EXAMPLE_EMAIL»"\n',
        'BIND_ADDRESS = "«~PRIVATE_IP»"\n',
        'PASSWORD = os.environ["DB_PASSWORD"]\n',
        'password = "${DB_PASSWORD}"\n',
        'api_key = "<your-api-key>"\n',
        'TOKEN_ENV_VAR = "GITHUB_TOKEN"\n',
        "self.password_field = form.password_input\n",
        'handler = "getUserAccountSettingsForCurrentSession"\n',
        'ICON = "data:image/png;base64,«~B64BLOB»"\n',
        'IMAGE = "registry.io/app@sha256:«~HEX64»"\n',
        'SRI_HASH = "sha384-«~B64SHA384»"\n',
        "password = 'changeme'\n",
        '__copyright__ = "Copyright 2021 «~ORGNAME» Ltd."\n',
        "@property\ndef sender(self):\n    return self._sender\n",
        'HOMEPAGE = "https://github.com/«~ORG»/«~ORG»"\n',
    ),
    "javascript": (
        "const digest = '«~HEX64»';\n",
        "const id = '«~UUID»';\n",
        "const password = process.env.DB_PASSWORD;\n",
        'const version = "«~VERSION»";\n',
        "script.integrity = 'sha384-«~B64SHA384»';\n",
        "img.src = 'data:image/png;base64,«~B64BLOB»';\n",
    ),
    "c": ('#define BUILD_ID "«~HEX40»"\n', 'static const char *bind_addr = "«~PRIVATE_IP»";\n'),
    "shell": ('export DB_PASSWORD="$(cat /run/secrets/db)"\n', "ping -c 1 «~DNS»\n"),
    "yaml": (
        "checksum: «~HEX64»\n",
        "password: ${DB_PASSWORD}\n",
        "image: app:«~VERSION»\n",
        "integrity: sha512-«~B64SHA512»\n",
    ),
    "json": (
        '{"integrity": "sha512-«~B64SHA512»"}\n',
        '{"version": "«~VERSION»"}\n',
        '{"resolved": "https://registry.npmjs.org/x/-/x-«~VERSION».tgz", '
        '"integrity": "sha512-«~B64SHA512»"}\n',
    ),
}
# The template family and line comment of each curated language.
FAMILIES: dict[str, tuple[str, str]] = {
    "python": ("python", "#"),
    "javascript": ("javascript", "//"),
    "c": ("c", "//"),
    "cpp": ("c", "//"),
    "cuda": ("c", "//"),
    "shell": ("shell", "#"),
    "perl": ("shell", "#"),
    "cmake": ("shell", "#"),
    "yaml": ("yaml", "#"),
    "json": ("json", "//"),
    "sql": ("shell", "--"),
    "lua": ("shell", "--"),
    "markdown": ("shell", ">"),
    "restructuredtext": ("shell", ".."),
}
