"""Writes corpus.json beside this file: the hostile-input cases HostileInputIT runs. Edit the cases here and
run `python3 deploy/src/test/resources/hostile/generate.py`; the JSON is committed so the build needs no Python."""
import json

def rep(s, n, before="", after=""):
    return {"repeat": s, "times": n, "before": before, "after": after}

BASE = {"accountId": "acct-h", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "post-1", "kind": "POST"}]}

def body(**over):
    d = json.loads(json.dumps(BASE))
    for k, v in over.items():
        if v is DEL:
            d.pop(k, None)
        else:
            d[k] = v
    return json.dumps(d)

class _Del: pass
DEL = _Del()

http = []
def h(name, expect_status, error=None, field=None, method="POST", path="/v1/reports", ctype="application/json", body_=None, headers=None):
    c = {"name": name, "method": method, "path": path}
    hd = dict(headers or {})
    if ctype is not None:
        hd["Content-Type"] = ctype
    if hd:
        c["headers"] = hd
    if body_ is not None:
        c["body"] = body_
    e = {"status": expect_status}
    if error: e["error"] = error
    if field: e["field"] = field
    c["expect"] = e
    http.append(c)

GOOD = body()
# --- routes and methods
for m in ["GET", "PUT", "DELETE", "PATCH"]:
    h(f"{m} on the reports resource", 405, "METHOD_NOT_ALLOWED", method=m, body_=GOOD if m in ("PUT", "PATCH") else None,
      ctype="application/json" if m in ("PUT", "PATCH") else None)
for p in ["/v1/reports/", "/v1/reports/x", "/v1/reportsx", "/v1/Reports", "/v2/reports", "/v1/reports/..", "/", "/v1",
          "/metrics", "/health/live", "/v1/accounts/acct-1"]:
    h(f"POST to {p}", 404, "NOT_FOUND", path=p, body_=GOOD)
for p in ["/v1/reports%2F", "/v1/%2E%2E/reports", "/v1/reports%2Fx"]:
    h(f"POST to the ambiguous path {p}", 400, "BAD_REQUEST", path=p, body_=GOOD)
# --- who is calling (every other case carries the user-reports publisher's token)
h("no credential", 401, "UNAUTHENTICATED", headers={"Authorization": ""}, body_=GOOD)
h("a token no publisher has", 401, "UNAUTHENTICATED", headers={"Authorization": "Bearer pub_not-a-real-token"}, body_=GOOD)
h("an empty bearer token", 401, "UNAUTHENTICATED", headers={"Authorization": "Bearer "}, body_=GOOD)
h("Basic credentials", 401, "UNAUTHENTICATED", headers={"Authorization": "Basic dXNlcjpwYXNz"}, body_=GOOD)
h("a bearer token of 10 KB", 401, "UNAUTHENTICATED", headers={"Authorization": "Bearer " + "t" * 10000}, body_=GOOD)
h("a verified hash match from a user-report publisher", 403, "FORBIDDEN", "reporter.kind",
  body_=body(reporter={"kind": "HASH_MATCH", "matchList": "ncmec-verified-hashes", "matchListVerified": True}))
h("a classifier report from a user-report publisher", 403, "FORBIDDEN", "reporter.kind",
  body_=body(reporter={"kind": "CLASSIFIER", "id": "m", "classifierScore": 0.99}))
h("a reviewer report from a user-report publisher", 403, "FORBIDDEN", "reporter.kind", body_=body(reporter={"kind": "REVIEWER", "id": "r"}))
# --- media types
for ct in [None, "text/plain", "application/jsonx", "application/json; charset=latin1", "application/xml", "multipart/form-data; boundary=x",
           "application/x-www-form-urlencoded", "json", "application/json-patch+json", "application/json; charset=utf-16"]:
    h(f"Content-Type {ct}", 415, "UNSUPPORTED_MEDIA_TYPE", ctype=ct, body_=GOOD)
# --- bodies that are not one JSON object
for name, b in [("empty body", ""), ("null", "null"), ("an array", "[]"), ("a number", "1"), ("a string", "\"x\""),
                ("two objects", "{} {}"), ("unterminated object", "{"), ("trailing garbage", GOOD + " x"),
                ("single quotes", "{'accountId': 'a'}"), ("comments", "/* c */ " + GOOD), ("NaN literal", "{\"accountId\": NaN}"),
                ("NUL byte", {"hex": "00"}),
                ("binary garbage", {"hex": "ff00137f8081"}), ("overlong slash", {"hex": "7b2261223a22c0af227d"}),
                ("CESU-8 surrogate", {"hex": "7b2261223a22eda080227d"}), ("past U+10FFFF", {"hex": "7b2261223a22f4908080227d"}),
                ("lone continuation byte", {"hex": "7b2261223a2280227d"}), ("truncated sequence", {"hex": "7b2261223a22e282227d"}),
                ("latin-1 e-acute", {"hex": "7b2261223a22e9227d"}),
                ("nesting 5000 deep", rep("[", 5000, after="]" * 5000)), ("nesting 17 deep", rep("{\"a\":", 17, after="1" + "}" * 17)),
                ("a 900 KB key", rep("k", 900_000, before="{\"", after="\": 1}")),
                ("a 2000-digit number", rep("9", 2000, before="{\"accountId\": ", after="}")),
                ("duplicate reporter", GOOD[:-1] + ", \"reporter\": {\"kind\": \"HASH_MATCH\", \"matchList\": \"l\", \"matchListVerified\": true}}"),
                ("duplicate accountId", GOOD[:-1] + ", \"accountId\": \"other\"}"),
                ("duplicate key in reporter", body(reporter=None).replace("\"reporter\": null", "\"reporter\": {\"kind\": \"NO_ACCOUNT\", \"kind\": \"HASH_MATCH\"}")),
                ("duplicate key in a content item", body(content=None).replace("\"content\": null", "\"content\": [{\"contentId\": \"a\", \"contentId\": \"b\"}]")),
               ]:
    h(f"body: {name}", 400, "MALFORMED_JSON", body_=b)
h("body over 1 MiB", 413, "BODY_TOO_LARGE", body_=rep(" ", 1_100_000, after=GOOD))

# --- fields
def f(name, field, **over):
    h(name, 400, "INVALID_FIELD", field, body_=body(**over))

f("accountId missing", "accountId", accountId=DEL)
f("accountId null", "accountId", accountId=None)
f("accountId empty", "accountId", accountId="")
f("accountId blank", "accountId", accountId="   ")
f("accountId a number", "accountId", accountId=17)
f("accountId an object", "accountId", accountId={"a": 1})
for name, v in [(".", "."), ("..", ".."), ("a slash", "a/b"), ("a space", "a b"), ("NUL", "a\u0000"), ("CRLF", "a\r\nb"),
                ("tab", "a\tb"), ("129 characters", "a" * 129), ("non-ASCII", "\u00e1cct"), ("leading dash", "-acct"),
                ("percent", "a%2e"), ("a question mark", "a?b"), ("a hash", "a#b"), ("U+FFFE", "a\ufffe"), ("a lone surrogate", "a\ud800"),
                ("an emoji", "a\U0001F600"), ("DEL", "a\u007f"), ("C1 control", "a\u0085")]:
    f(f"accountId with {name}", "accountId", accountId=v)
for name, v in [("..", ".."), ("CRLF", "r\r\n1"), ("130 characters", "r" * 130), ("a number", 5), ("a slash", "r/1")]:
    f(f"reportId {name}", "reportId", reportId=v)
f("reporter missing", "reporter", reporter=DEL)
f("reporter a string", "reporter", reporter="NO_ACCOUNT")
f("reporter kind unknown", "reporter.kind", reporter={"kind": "ROBOT"})
f("reporter kind lowercase", "reporter.kind", reporter={"kind": "no_account"})
f("reporter kind missing", "reporter.kind", reporter={})
f("classifier without a score", "reporter.classifierScore", reporter={"kind": "CLASSIFIER", "id": "m1"})
f("classifier score above 1", "reporter.classifierScore", reporter={"kind": "CLASSIFIER", "id": "m1", "classifierScore": 1.01})
f("classifier score below 0", "reporter.classifierScore", reporter={"kind": "CLASSIFIER", "id": "m1", "classifierScore": -0.1})
f("classifier score a string", "reporter.classifierScore", reporter={"kind": "CLASSIFIER", "id": "m1", "classifierScore": "0.5"})
h("classifier score 1e999", 400, "INVALID_FIELD", "reporter.classifierScore",
  body_=body(reporter=None).replace("\"reporter\": null", "\"reporter\": {\"kind\": \"CLASSIFIER\", \"id\": \"m1\", \"classifierScore\": 1e999}"))
f("user report without a reporter id", "reporter.id", reporter={"kind": "SIGNED_IN_USER"})
f("reporter id with CRLF", "reporter.id", reporter={"kind": "SIGNED_IN_USER", "id": "u\r\n1"})
f("hash match without a list", "reporter.matchList", reporter={"kind": "HASH_MATCH"})
f("match list with a space", "reporter.matchList", reporter={"kind": "HASH_MATCH", "matchList": "my list"})
f("matchListVerified a string", "reporter.matchListVerified", reporter={"kind": "HASH_MATCH", "matchList": "l", "matchListVerified": "yes"})
f("claimedCategory unknown", "claimedCategory", claimedCategory="SPAM")
f("claimedCategory lowercase", "claimedCategory", claimedCategory="visual_depiction")
f("claimedCategory a number", "claimedCategory", claimedCategory=3)
f("generatedMedium unknown", "generatedMedium", generatedMedium="CGI")
f("generatedMedium lowercase", "generatedMedium", generatedMedium="drawn_or_animated")
f("generatedMedium stated by a reporter without an account", "generatedMedium", generatedMedium="DRAWN_OR_ANIMATED")
f("no content and no URL", "content", content=DEL)
f("content an object", "content", content={"contentId": "p"})
f("content item a string", "content[0]", content=["post-1"])
f("content item without an id", "content[0].contentId", content=[{"kind": "POST"}])
f("content id with a control character", "content[0].contentId", content=[{"contentId": "p\u0001"}])
f("content id of 201 characters", "content[0].contentId", content=[{"contentId": "p" * 201}])
f("content id of dots", "content[0].contentId", content=[{"contentId": ".."}])
f("content kind unknown", "content[0].kind", content=[{"contentId": "p", "kind": "VIDEO"}])
for name, v in [("a carriage return", "http://x/\ry"), ("a space", "http://x/ y"), ("NUL", "http://x/\u0000"), ("ESC", "http://x/\u001b"),
                ("BEL", "http://x/\u0007"), ("U+FFFE", "http://x/\ufffe"), ("a lone surrogate", "http://x/\udc00"), ("a line feed", "http://x/\ny"),
                ("2049 characters", "http://x/" + "a" * 2040), ("a no-break space", "http://x/\u00a0y")]:
    f(f"content URL with {name}", "content[0].url", content=[{"contentId": "p", "url": v}])
f("file name with NUL", "content[0].fileName", content=[{"contentId": "p", "fileName": "a\u0000.jpg"}])
f("file name of 256 characters", "content[0].fileName", content=[{"contentId": "p", "fileName": "a" * 256}])
f("hashes an object", "content[0].hashes", content=[{"contentId": "p", "hashes": {"algorithm": "MD5"}}])
f("hash a string", "content[0].hashes[0]", content=[{"contentId": "p", "hashes": ["5d41402abc4b2a76b9719d911017c592"]}])
f("hash algorithm unknown", "content[0].hashes[0]", content=[{"contentId": "p", "hashes": [{"algorithm": "<x>", "value": "ab"}]}])
f("hash algorithm CRC32", "content[0].hashes[0]", content=[{"contentId": "p", "hashes": [{"algorithm": "CRC32", "value": "cbf43926"}]}])
f("MD5 of the wrong length", "content[0].hashes[0]", content=[{"contentId": "p", "hashes": [{"algorithm": "MD5", "value": "abc"}]}])
f("SHA1 not hex", "content[0].hashes[0]", content=[{"contentId": "p", "hashes": [{"algorithm": "SHA1", "value": "z" * 40}]}])
f("hash value missing", "content[0].hashes[0].value", content=[{"contentId": "p", "hashes": [{"algorithm": "MD5"}]}])
f("five hashes on one item", "content[0].hashes", content=[{"contentId": "p", "hashes": [{"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}] * 5}])
f("51 content items", "content", content=[{"contentId": f"p{i}"} for i in range(51)])
f("uploadedAt not a date", "content[0].uploadedAt", content=[{"contentId": "p", "uploadedAt": "yesterday"}])
f("thirdPartyUrls an object", "thirdPartyUrls", thirdPartyUrls={"url": "u"})
f("third-party URL missing", "thirdPartyUrls[0].url", thirdPartyUrls=[{"hostingCountry": "NL"}])
f("hosting country XX", "thirdPartyUrls[0].hostingCountry", thirdPartyUrls=[{"url": "u", "hostingCountry": "XX"}])
f("hosting country lowercase", "thirdPartyUrls[0].hostingCountry", thirdPartyUrls=[{"url": "u", "hostingCountry": "nl"}])
f("hosting country of three letters", "thirdPartyUrls[0].hostingCountry", thirdPartyUrls=[{"url": "u", "hostingCountry": "NLD"}])
f("hosting IP a host name", "thirdPartyUrls[0].hostingIp", thirdPartyUrls=[{"url": "u", "hostingIp": "evil.example"}])
f("hosting IP out of range", "thirdPartyUrls[0].hostingIp", thirdPartyUrls=[{"url": "u", "hostingIp": "300.1.1.1"}])
f("hosting IP with a zone", "thirdPartyUrls[0].hostingIp", thirdPartyUrls=[{"url": "u", "hostingIp": "fe80::1%eth0"}])
f("hosting ASN text", "thirdPartyUrls[0].hostingAsn", thirdPartyUrls=[{"url": "u", "hostingAsn": "ASN-EVIL"}])
f("hosting ISP with a control character", "thirdPartyUrls[0].hostingIsp", thirdPartyUrls=[{"url": "u", "hostingIsp": "isp\u0002"}])
f("cdn a string", "thirdPartyUrls[0].cdn", thirdPartyUrls=[{"url": "u", "cdn": "true"}])
f("51 third-party URLs", "thirdPartyUrls", thirdPartyUrls=[{"url": f"u{i}"} for i in range(51)])
f("third-party URL with a line feed", "thirdPartyUrls[0].url", thirdPartyUrls=[{"url": "http://a/\nb"}])
f("description a number", "description", description=5)
f("description with NUL", "description", description="text\u0000more")
f("description with ESC", "description", description="text\u001b[31m")
f("description with a lone surrogate", "description", description="text\ud83d")
f("description of 20001 characters", "description", description="d" * 20001)
for name, v in [("year 0000", "0000-01-01T00:00:00Z"), ("hour 24", "2026-11-24T24:00:00Z"), ("a far-past year", "-999999999-01-01T00:00:00Z"),
                ("the future", "2099-01-01T00:00:00Z"), ("words", "yesterday"), ("a date only", "2026-11-24"), ("1999", "1999-12-31T23:59:59Z"),
                ("February 30", "2026-02-30T10:00:00Z"), ("minute 60", "2026-11-24T10:60:00Z"), ("no zone", "2026-11-24T10:00:00"),
                ("a number", 1764000000000)]:
    f(f"reportedAt {name}", "reportedAt", reportedAt=v)
f("sourceService with CRLF", "sourceService", sourceService="svc\r\nX-Injected: 1")

raw = []
for c in http:
    if c["expect"]["status"] == 400 and "body" in c and c["expect"]["error"] in ("MALFORMED_JSON", "INVALID_FIELD"):
        raw.append({"name": "raw " + c["name"], "value": c["body"], "expect": {"reason": c["expect"]["error"]}})
for c in http:
    if c["expect"]["status"] == 403 and "body" in c:
        raw.append({"name": "raw " + c["name"], "value": c["body"], "expect": {"reason": "FORBIDDEN"}})
raw.append({"name": "raw record without a value", "value": None, "expect": {"reason": "EMPTY_RECORD"}})
raw.append({"name": "raw empty value", "value": "", "expect": {"reason": "MALFORMED_JSON"}})
raw.append({"name": "raw 1 MB of garbage", "value": rep("\u0001", 1_048_000), "expect": {"reason": "MALFORMED_JSON", "truncated": True}})
raw.append({"name": "raw 900 KB of spaces", "value": rep(" ", 900_000), "expect": {"reason": "MALFORMED_JSON"}})

avro = []
CLASSIFIER_INPUTS = {"cse.reports.v1": "report", "cse.reviews.verdicts.v1": "verdict", "cse.appeals.v1": "appeal",
                     "cse.accounts.events.v1": "account-event"}
DLQ = {"cse.reports.v1": ["cse.classifier.dlq.v1"], "cse.reviews.verdicts.v1": ["cse.classifier.dlq.v1"],
       "cse.appeals.v1": ["cse.classifier.dlq.v1"], "cse.accounts.events.v1": ["cse.classifier.dlq.v1"],
       "cse.decisions.v1": ["cse.enforcement.dlq.v1", "cse.escalation.dlq.v1"]}
RECORD = {"cse.reports.v1": "report", "cse.reviews.verdicts.v1": "verdict", "cse.appeals.v1": "appeal",
          "cse.accounts.events.v1": "account-event", "cse.decisions.v1": "decision"}
def a(name, topic, value, reason, key="acct-h", truncated=False, set_=None, dlq=None):
    c = {"name": name, "topic": topic, "key": key, "expect": {"dlq": dlq or DLQ[topic], "reason": reason}}
    if value is not None:
        c["value"] = value
    if set_ is not None:
        c["record"] = RECORD[topic]
        c["set"] = set_
    if truncated:
        c["expect"]["truncated"] = True
    avro.append(c)

for topic in DLQ:
    short = topic.split(".")[1] if topic != "cse.decisions.v1" else "decisions"
    a(f"{topic}: text, not Avro", topic, "not avro", "DESERIALIZATION")
    a(f"{topic}: wrong magic byte", topic, {"hex": "01000000010203"}, "DESERIALIZATION")
    a(f"{topic}: too short for the wire format", topic, {"hex": "000000"}, "DESERIALIZATION")
    a(f"{topic}: an unknown schema id", topic, {"hex": "0000098967" + "02" * 20}, "DESERIALIZATION")
    a(f"{topic}: a valid record with trailing bytes", topic, {"validWithTrailing": 64}, "DESERIALIZATION", set_={})
    a(f"{topic}: a valid record cut short", topic, {"validCutTo": 12}, "DESERIALIZATION", set_={})
    a(f"{topic}: 1 MB of garbage", topic, rep("\u0002", 1_048_000), "DESERIALIZATION", truncated=True)
    a(f"{topic}: no value", topic, {"null": True}, "NULL_VALUE")
    if topic in CLASSIFIER_INPUTS:
        a(f"{topic}: no key", topic, None, "NULL_KEY", key=None, set_={})
        a(f"{topic}: a key that is not the account", topic, None, "KEY_MISMATCH", key="acct-other", set_={})
        a(f"{topic}: a key of dots", topic, None, "INVALID_FIELD", key="..", set_={"accountId": ".."})
        a(f"{topic}: an account id with CRLF", topic, None, "INVALID_FIELD", key="a\r\nb", set_={"accountId": "a\r\nb"})

# record-level field rules
a("report: report id with NUL", "cse.reports.v1", None, "INVALID_FIELD", set_={"reportId": "r\u0000"})
a("report: content URL with BEL", "cse.reports.v1", None, "INVALID_FIELD", set_={"content[0].url": "http://x/\u0007"})
a("report: content id of dots", "cse.reports.v1", None, "INVALID_FIELD", set_={"content[0].contentId": ".."})
a("report: hash algorithm unknown", "cse.reports.v1", None, "INVALID_FIELD", set_={"content[0].hashes[0].algorithm": "<x>"})
a("report: hosting country XX", "cse.reports.v1", None, "INVALID_FIELD", set_={"thirdPartyUrls[0].hostingCountry": "XX"})
a("report: reportedAt in the year 1970", "cse.reports.v1", None, "INVALID_FIELD", set_={"reportedAt": 0})
a("report: reportedAt in the far future", "cse.reports.v1", None, "INVALID_FIELD", set_={"reportedAt": 253402300799000})
a("report: description with ESC", "cse.reports.v1", None, "INVALID_FIELD", set_={"description": "x\u001b[2J"})
a("report: a medium stated by a signed-in user", "cse.reports.v1", None, "INVALID_FIELD", set_={"generatedMedium": "DRAWN_OR_ANIMATED"})
a("report: source service with a space", "cse.reports.v1", None, "INVALID_FIELD", set_={"sourceService": "a b"})
a("verdict: verdict id with CRLF", "cse.reviews.verdicts.v1", None, "INVALID_FIELD", set_={"verdictId": "v\r\n"})
a("verdict: reviewer id empty", "cse.reviews.verdicts.v1", None, "INVALID_FIELD", set_={"reviewerId": ""})
a("verdict: decided in the year 1970", "cse.reviews.verdicts.v1", None, "INVALID_FIELD", set_={"decidedAt": 0})
a("verdict: for a report never seen", "cse.reviews.verdicts.v1", None, "UNKNOWN_REPORT", key="acct-never", set_={"accountId": "acct-never"})
a("appeal: appeal id of dots", "cse.appeals.v1", None, "INVALID_FIELD", set_={"appealId": ".."})
a("appeal: decision id with NUL", "cse.appeals.v1", None, "INVALID_FIELD", set_={"decisionId": "d\u0000"})
a("appeal: of a decision never made", "cse.appeals.v1", None, "UNKNOWN_DECISION", key="acct-never", set_={"accountId": "acct-never"})
a("account event: event id with a space", "cse.accounts.events.v1", None, "INVALID_FIELD", set_={"eventId": "e 1"})
a("account event: identifier hash with CRLF", "cse.accounts.events.v1", None, "INVALID_FIELD", set_={"identifiers[0].hash": "h\r\n"})
a("account event: at in the far future", "cse.accounts.events.v1", None, "INVALID_FIELD", set_={"at": 253402300799000})
a("decision: account id of dots", "cse.decisions.v1", None, "INVALID_FIELD", set_={"accountId": ".."}, dlq=["cse.enforcement.dlq.v1"])
a("decision: account id with a slash", "cse.decisions.v1", None, "INVALID_FIELD", set_={"accountId": "a/../../admin"}, dlq=["cse.enforcement.dlq.v1"])
a("decision: action id with CRLF", "cse.decisions.v1", None, "INVALID_FIELD", set_={"actions[0].actionId": "x\r\nX-Injected: 1"}, dlq=["cse.enforcement.dlq.v1"])
a("decision: content id with NUL", "cse.decisions.v1", None, "INVALID_FIELD", set_={"actions[1].contentIds[0]": "p\u0000"}, dlq=["cse.enforcement.dlq.v1"])
a("decision: an incident type NCMEC does not know", "cse.decisions.v1", None, "INVALID_FIELD", set_={"referrals[0].incidentType": "Spam"}, dlq=["cse.escalation.dlq.v1"])
a("decision: a report annotation NCMEC does not know", "cse.decisions.v1", None, "INVALID_FIELD", set_={"referrals[0].reportAnnotations[0]": "<x/>"}, dlq=["cse.escalation.dlq.v1"])
a("decision: a referral id with a space", "cse.decisions.v1", None, "INVALID_FIELD", set_={"referrals[0].referralId": "dec x"}, dlq=["cse.escalation.dlq.v1"])

corpus = {"about": "Hostile inputs for intake's HTTP API, the raw Kafka channel and each Avro input topic. Every case must get a 4xx with a reason or a dead letter with headers; see HostileInputIT.",
          "http": http, "raw": raw, "avro": avro}
print(len(http), len(raw), len(avro), len(http) + len(raw) + len(avro))
import os
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.json"), "w") as out:
    json.dump(corpus, out, indent=1, ensure_ascii=True)
