/* Trust through the C ABI: a HeMS with per-device credentials (a JSON table, or a callback
 * into C) refuses a HeNB that claims another device, a certificate naming another device and
 * Basic over plain HTTP, and says why in a REFUSED event; bad arguments are error codes.
 * -Wall -Wextra -Werror -std=c99. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "femtocwmp.h"

static int failures = 0, checks = 0;
#define CHECK(cond)                                                                       \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)
#define S(x) (const uint8_t *)(x), strlen(x)
#define STR(x) ((femtocwmp_str){(const uint8_t *)(x), sizeof(x) - 1})

static const char *TABLE =
    "{\"00A0C6-FAP-A1\":{\"username\":\"a\",\"password\":\"pass-a\"},"
    "\"00A0C6-FAP-VICTIM\":{\"username\":\"victim\",\"password\":\"pass-victim\"}}";
static const char *DIGEST_CONFIG =
    "{\"auth\":{\"policy\":{\"Devices\":{\"scheme\":\"Digest\"}},\"nonce_secret\":\"c-test\"}}";

static int same(femtocwmp_str s, const char *want) {
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.data, want, s.len) == 0);
}

/* What one exchange showed. */
typedef struct {
    uint16_t statuses[8];
    int count;
    int refused;            /* REFUSED events seen */
    uint16_t refused_status;
    char reason[256];
    char device[64];
    char peer[64];
} seen;

/* Drains the HeMS: the response's status, events noted in `s`. */
static uint16_t drain_hems(femtocwmp_hems *hems, seen *s, uint8_t **body, size_t *body_len,
                           femtocwmp_header *hs, char hbuf[][512], size_t *hcount) {
    uint16_t status = 0;
    femtocwmp_output o;
    uint64_t conn = 0;
    *hcount = 0;
    for (;;) {
        CHECK(femtocwmp_hems_poll_output(hems, &o, &conn) == FEMTOCWMP_RESULT_OK);
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
            status = o.http_status;
            *body = malloc(o.body_len + 1);
            if (o.body_len) memcpy(*body, o.body, o.body_len);
            *body_len = o.body_len;
            for (size_t i = 0; i < o.header_count && i < 4; i++) {
                /* name and value side by side in one buffer */
                memcpy(hbuf[i], o.headers[i].name, o.headers[i].name_len);
                memcpy(hbuf[i] + 128, o.headers[i].value, o.headers[i].value_len);
                hs[i] = (femtocwmp_header){(const uint8_t *)hbuf[i], o.headers[i].name_len,
                                           (const uint8_t *)hbuf[i] + 128, o.headers[i].value_len};
                *hcount = i + 1;
            }
        } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
            if (o.event_kind == FEMTOCWMP_EVENT_KIND_REFUSED) {
                femtocwmp_str reason = {0}, peer = {0}, device = {0};
                CHECK(femtocwmp_event_refusal(o.event, &s->refused_status, &reason, &peer) == FEMTOCWMP_RESULT_OK);
                CHECK(femtocwmp_event_device(o.event, &device) == FEMTOCWMP_RESULT_OK);
                snprintf(s->reason, sizeof s->reason, "%.*s", (int)reason.len, (const char *)reason.data);
                snprintf(s->device, sizeof s->device, "%.*s", (int)device.len, (const char *)device.data);
                snprintf(s->peer, sizeof s->peer, "%.*s", (int)peer.len, (const char *)peer.data);
                s->refused++;
            } else {
                /* the accessor refuses other kinds with a clear error */
                uint16_t st;
                femtocwmp_str r, p;
                CHECK(femtocwmp_event_refusal(o.event, &st, &r, &p) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
            }
        } else {
            return status;
        }
    }
}

/* A HeNB (the library's CPE session) with `user`/`password` claiming device `serial`, on
 * connection `conn`: every POST goes to the HeMS until the HeNB stops. */
static seen henb(femtocwmp_hems *hems, uint64_t conn, const char *serial, const char *user,
                 const char *password) {
    seen s = {0};
    char config[256], inform[512];
    snprintf(config, sizeof config,
             "{\"acs_url\":\"http://hems/cwmp\",\"username\":\"%s\",\"password\":\"%s\"}", user, password);
    snprintf(inform, sizeof inform,
             "{\"device_id\":{\"manufacturer\":\"Acme\",\"oui\":\"00A0C6\",\"product_class\":\"FAP\","
             "\"serial_number\":\"%s\"},\"events\":[{\"event_code\":\"1 BOOT\",\"command_key\":\"\"}]}",
             serial);
    femtocwmp_cpe_session *cpe = NULL;
    CHECK(femtocwmp_cpe_session_new(S(config), S(inform), 0, &cpe) == FEMTOCWMP_RESULT_OK);
    for (int round = 0; round < 8 && cpe; round++) {
        femtocwmp_output o;
        do { /* events (Informed...) come before the next POST */
            CHECK(femtocwmp_cpe_session_poll_output(cpe, &o) == FEMTOCWMP_RESULT_OK);
        } while (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT);
        if (o.kind != FEMTOCWMP_OUTPUT_KIND_TRANSMIT) break;
        femtocwmp_header hs[8];
        size_t n = 0;
        hs[n++] = (femtocwmp_header){S(":path"), S("/cwmp")};
        for (size_t i = 0; i < o.header_count && n < 8; i++) hs[n++] = o.headers[i];
        CHECK(femtocwmp_hems_handle_http_request(hems, conn, hs, n, o.body, o.body_len, 1) == FEMTOCWMP_RESULT_OK);
        uint8_t *body = NULL;
        size_t body_len = 0, hcount = 0;
        femtocwmp_header rh[4];
        char hbuf[4][512];
        uint16_t status = drain_hems(hems, &s, &body, &body_len, rh, hbuf, &hcount);
        if (s.count < 8) s.statuses[s.count++] = status;
        femtocwmp_result r = femtocwmp_cpe_session_handle_http_response(cpe, status, rh, hcount, body, body_len, 1);
        free(body);
        if (r != FEMTOCWMP_RESULT_OK || status == 204) break;
    }
    femtocwmp_cpe_session_free(cpe);
    return s;
}

static void opened(femtocwmp_hems *hems, uint64_t conn, const char *peer, bool tls,
                   const char *cn) {
    femtocwmp_connection_info info = {0};
    info.peer = (femtocwmp_str){(const uint8_t *)peer, strlen(peer)};
    info.tls = tls;
    if (cn) {
        info.has_client_certificate = true;
        info.common_name = (femtocwmp_str){(const uint8_t *)cn, strlen(cn)};
    }
    CHECK(femtocwmp_hems_connection_opened(hems, conn, &info) == FEMTOCWMP_RESULT_OK);
}

static void table_source(void) {
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_hems_new(S(DIGEST_CONFIG), &hems) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_set_device_table(hems, S(TABLE)) == FEMTOCWMP_RESULT_OK);
    opened(hems, 1, "203.0.113.9", false, NULL);
    /* A's password claiming VICTIM: challenged, then refused with a REFUSED event */
    seen s = henb(hems, 1, "VICTIM", "a", "pass-a");
    CHECK(s.count == 2 && s.statuses[0] == 401 && s.statuses[1] == 403);
    CHECK(s.refused == 1 && s.refused_status == 403);
    CHECK(strstr(s.reason, "authenticated as 00A0C6-FAP-A1") != NULL);
    CHECK(strcmp(s.device, "00A0C6-FAP-VICTIM") == 0 && strcmp(s.peer, "203.0.113.9") == 0);
    /* nothing of VICTIM stored */
    size_t len = 0;
    CHECK(femtocwmp_hems_export_device(hems, S("00A0C6-FAP-VICTIM"), NULL, 0, &len) != FEMTOCWMP_RESULT_OK);
    /* A as itself: served */
    opened(hems, 2, "198.51.100.1", false, NULL);
    s = henb(hems, 2, "A1", "a", "pass-a");
    CHECK(s.count == 3 && s.statuses[0] == 401 && s.statuses[1] == 200 && s.statuses[2] == 204);
    CHECK(s.refused == 0);
    /* bad arguments */
    CHECK(femtocwmp_hems_connection_opened(hems, 3, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    femtocwmp_connection_info bad = {0};
    bad.has_client_certificate = true;
    bad.subject_alt_name_count = 2;
    CHECK(femtocwmp_hems_connection_opened(hems, 3, &bad) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_hems_set_device_table(hems, S("{\"k\":{\"username\":\"u\",\"ha1\":\"zz\"}}")) == FEMTOCWMP_RESULT_INVALID_JSON);
    char detail[256];
    size_t detail_len = 0;
    CHECK(femtocwmp_last_error(detail, sizeof detail, &detail_len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr(detail, "ha1") != NULL);
    CHECK(femtocwmp_hems_set_credential_callback(hems, NULL, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_hems_set_device_table(NULL, S(TABLE)) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    femtocwmp_hems_free(hems);
}

static int asked = 0;

/* A C credential source: the user data is the table the daemon keeps. */
static size_t lookup(void *user_data, femtocwmp_credential_query query, femtocwmp_str key,
                     uint8_t *buf, size_t buf_len) {
    const char *who = user_data;
    asked++;
    const char *answer = NULL;
    if (query == FEMTOCWMP_CREDENTIAL_QUERY_BY_USERNAME && same(key, "a"))
        answer = "{\"device\":\"00A0C6-FAP-A1\",\"credentials\":{\"username\":\"a\",\"password\":\"pass-a\"}}";
    if (query == FEMTOCWMP_CREDENTIAL_QUERY_BY_DEVICE && same(key, "00A0C6-FAP-A1"))
        answer = "{\"credentials\":{\"username\":\"a\",\"password\":\"pass-a\","
                 "\"connection_request_username\":\"cr-a\",\"connection_request_password\":\"cr-secret\"}}";
    CHECK(strcmp(who, "daemon table") == 0);
    if (!answer) return 0;
    size_t n = strlen(answer);
    if (n <= buf_len) memcpy(buf, answer, n);
    return n;
}

static void callback_source(void) {
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_hems_new(S(DIGEST_CONFIG), &hems) == FEMTOCWMP_RESULT_OK);
    static char table[] = "daemon table";
    CHECK(femtocwmp_hems_set_credential_callback(hems, lookup, table) == FEMTOCWMP_RESULT_OK);
    opened(hems, 1, "198.51.100.1", false, NULL);
    seen s = henb(hems, 1, "A1", "a", "pass-a");
    CHECK(s.count == 3 && s.statuses[1] == 200 && asked > 0);
    s = henb(hems, 2, "A1", "nobody", "x");
    CHECK(s.count == 2 && s.statuses[1] == 401 && s.refused == 1);
    CHECK(strstr(s.reason, "unknown user name") != NULL);
    femtocwmp_hems_free(hems);
}

static void certificates_and_basic(void) {
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_hems_new(S("{\"auth\":{\"policy\":{\"Devices\":{\"scheme\":\"Certificate\"}}}}"), &hems) == FEMTOCWMP_RESULT_OK);
    opened(hems, 1, "198.51.100.1", true, "00A0C6-FAP-A1");
    seen s = henb(hems, 1, "A1", "", "");
    CHECK(s.statuses[0] == 200);
    femtocwmp_connection_info info = {0};
    femtocwmp_str sans[] = {STR("henb.example"), STR("00A0C6-A1")};
    info.tls = true;
    info.has_client_certificate = true;
    info.subject_alt_names = sans;
    info.subject_alt_name_count = 2;
    CHECK(femtocwmp_hems_connection_opened(hems, 2, &info) == FEMTOCWMP_RESULT_OK);
    s = henb(hems, 2, "VICTIM", "", "");
    CHECK(s.statuses[0] == 403 && s.refused == 1 && strstr(s.reason, "does not name") != NULL);
    femtocwmp_hems_free(hems);
    /* Basic over plain HTTP */
    CHECK(femtocwmp_hems_new(S("{\"auth\":{\"policy\":{\"Devices\":{\"scheme\":\"Basic\"}}}}"), &hems) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_set_device_table(hems, S(TABLE)) == FEMTOCWMP_RESULT_OK);
    femtocwmp_header hs[] = {{S(":path"), S("/cwmp")}, {S("Authorization"), S("Basic YTpwYXNzLWE=")}};
    CHECK(femtocwmp_hems_handle_http_request(hems, 1, hs, 2, NULL, 0, 1) == FEMTOCWMP_RESULT_OK);
    uint8_t *body = NULL;
    size_t body_len = 0, hcount = 0;
    femtocwmp_header rh[4];
    char hbuf[4][512];
    seen b = {0};
    CHECK(drain_hems(hems, &b, &body, &body_len, rh, hbuf, &hcount) == 403);
    CHECK(b.refused == 1 && strstr(b.reason, "plain HTTP") != NULL);
    free(body);
    femtocwmp_hems_free(hems);
}

/* ---- the takeover sequence, as a scripted peer sending chosen bytes ---- */

static char last_challenge[512];
static uint8_t last_body[8192];
static size_t last_body_len;
static int raw_refused = 0, victim_finished = 0;

static char *inform_xml(const char *serial, char *buf, size_t n) {
    snprintf(buf, n,
             "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
             "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soapenv:Header><cwmp:ID soapenv:mustUnderstand=\"1\">1"
             "</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:Inform><DeviceId><Manufacturer>x</Manufacturer>"
             "<OUI>00A0C6</OUI><ProductClass>FAP</ProductClass><SerialNumber>%s</SerialNumber></DeviceId>"
             "<Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event>"
             "<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-12-04T10:00:00Z</CurrentTime><RetryCount>0"
             "</RetryCount><ParameterList><ParameterValueStruct><Name>Device.ManagementServer."
             "ConnectionRequestURL</Name><Value>http://192.0.2.50:7547/cr</Value></ParameterValueStruct>"
             "</ParameterList></cwmp:Inform></soapenv:Body></soapenv:Envelope>",
             serial);
    return buf;
}

/* One POST on `conn` (with `authorization` unless NULL): the status; the body and any
 * challenge are kept. */
static uint16_t post_raw(femtocwmp_hems *hems, uint64_t conn, const char *authorization, const char *body) {
    femtocwmp_header hs[2] = {{S(":path"), S("/cwmp")}, {S("Authorization"), S(authorization ? authorization : "")}};
    CHECK(femtocwmp_hems_handle_http_request(hems, conn, hs, authorization ? 2 : 1, (const uint8_t *)body,
                                             strlen(body), 5) == FEMTOCWMP_RESULT_OK);
    uint16_t status = 0;
    femtocwmp_output o;
    uint64_t c = 0;
    last_challenge[0] = 0;
    for (;;) {
        CHECK(femtocwmp_hems_poll_output(hems, &o, &c) == FEMTOCWMP_RESULT_OK);
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
            status = o.http_status;
            last_body_len = o.body_len < sizeof last_body ? o.body_len : 0;
            if (last_body_len) memcpy(last_body, o.body, last_body_len);
            for (size_t i = 0; i < o.header_count; i++)
                if (o.headers[i].name_len == 16 && memcmp(o.headers[i].name, "WWW-Authenticate", 16) == 0 &&
                    o.headers[i].value_len < sizeof last_challenge && !last_challenge[0]) {
                    memcpy(last_challenge, o.headers[i].value, o.headers[i].value_len);
                    last_challenge[o.headers[i].value_len] = 0;
                }
        } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
            femtocwmp_str device = {0};
            if (o.event_kind == FEMTOCWMP_EVENT_KIND_REFUSED) raw_refused++;
            if (o.event_kind == FEMTOCWMP_EVENT_KIND_PROCEDURE_FINISHED &&
                femtocwmp_event_device(o.event, &device) == FEMTOCWMP_RESULT_OK && same(device, "00A0C6-FAP-VICTIM"))
                victim_finished++;
        } else {
            return status;
        }
    }
}

/* The Authorization answering the last challenge. */
static const char *answer(const char *user, const char *password, char *buf, size_t n) {
    size_t len = 0;
    femtocwmp_str www = {(const uint8_t *)last_challenge, strlen(last_challenge)};
    femtocwmp_str u = {(const uint8_t *)user, strlen(user)}, p = {(const uint8_t *)password, strlen(password)};
    CHECK(femtocwmp_authorization_for(&www, 1, u, p, STR("POST"), STR("/cwmp"), STR("c-peer"), (uint8_t *)buf, n,
                                      &len) == FEMTOCWMP_RESULT_OK);
    return buf;
}

/* Opens an authenticated session of `serial` on `conn`. */
static void open_session(femtocwmp_hems *hems, uint64_t conn, const char *serial, const char *user, const char *pw) {
    char xml[2048], auth[1024];
    inform_xml(serial, xml, sizeof xml);
    CHECK(post_raw(hems, conn, NULL, xml) == 401);
    CHECK(post_raw(hems, conn, answer(user, pw, auth, sizeof auth), xml) == 200);
}

/* A JSON field's text value after `"key":"` in `json`, into `out`. */
static void json_text(const char *json, const char *key, char *out, size_t n) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(json, pattern);
    out[0] = 0;
    if (!at) return;
    at += strlen(pattern);
    size_t len = strcspn(at, "\"");
    if (len >= n) len = n - 1;
    memcpy(out, at, len);
    out[len] = 0;
}

static void takeover_sequence(void) {
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_hems_new(S(DIGEST_CONFIG), &hems) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_set_device_table(hems, S(TABLE)) == FEMTOCWMP_RESULT_OK);
    char xml[2048], auth[1024], json[8192], id[64], key[64], reply[2048];
    size_t len = 0;
    uint64_t pid = 0;
    /* VICTIM registers, then takes a Download and says Status 1 */
    open_session(hems, 1, "VICTIM", "victim", "pass-victim");
    CHECK(post_raw(hems, 1, NULL, "") == 204);
    const char *download = "{\"ConfigureByFileDownload\":{\"url\":\"http://files.example.net/v.xml\","
                           "\"username\":\"u\",\"password\":\"p\",\"file_size\":0,\"target_file_name\":\"\","
                           "\"delay_seconds\":0,\"timeout_ms\":600000}}";
    CHECK(femtocwmp_hems_submit_json(hems, S("00A0C6-FAP-VICTIM"), S(download), 5, &pid) == FEMTOCWMP_RESULT_OK);
    open_session(hems, 2, "VICTIM", "victim", "pass-victim");
    CHECK(post_raw(hems, 2, NULL, "") == 200);
    CHECK(femtocwmp_decode_json(last_body, last_body_len, (uint8_t *)json, sizeof json, &len) == FEMTOCWMP_RESULT_OK);
    json_text(json, "id", id, sizeof id);
    json_text(json, "command_key", key, sizeof key);
    CHECK(strstr(json, "\"Download\"") != NULL && id[0] && key[0]);
    snprintf(reply, sizeof reply,
             "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
             "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soapenv:Header><cwmp:ID soapenv:mustUnderstand=\"1\">%s"
             "</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:DownloadResponse><Status>1</Status>"
             "<StartTime>0001-01-01T00:00:00Z</StartTime><CompleteTime>0001-01-01T00:00:00Z</CompleteTime>"
             "</cwmp:DownloadResponse></soapenv:Body></soapenv:Envelope>",
             id);
    CHECK(post_raw(hems, 2, NULL, reply) == 204);
    static uint8_t before[16384], after[16384];
    size_t before_len = 0, after_len = 0;
    CHECK(femtocwmp_hems_export_device(hems, S("00A0C6-FAP-VICTIM"), before, sizeof before, &before_len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr((const char *)before, "awaiting_transfer\":[{") != NULL);
    /* A's session: a second Inform claiming VICTIM is a fault (8003), nothing else */
    open_session(hems, 3, "A1", "a", "pass-a");
    CHECK(post_raw(hems, 3, NULL, inform_xml("VICTIM", xml, sizeof xml)) == 200);
    CHECK(femtocwmp_decode_json(last_body, last_body_len, (uint8_t *)json, sizeof json, &len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr(json, "8003") != NULL);
    /* a new session claiming VICTIM with A's credentials: challenged, then refused */
    CHECK(post_raw(hems, 4, NULL, inform_xml("VICTIM", xml, sizeof xml)) == 401);
    CHECK(post_raw(hems, 4, answer("a", "pass-a", auth, sizeof auth), xml) == 403);
    /* A's own session reporting VICTIM's CommandKey: answered, settles nothing of VICTIM */
    open_session(hems, 5, "A1", "a", "pass-a");
    snprintf(reply, sizeof reply,
             "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
             "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soapenv:Header><cwmp:ID soapenv:mustUnderstand=\"1\">tc"
             "</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:TransferComplete><CommandKey>%s</CommandKey>"
             "<FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></FaultStruct>"
             "<StartTime>0001-01-01T00:00:00Z</StartTime><CompleteTime>0001-01-01T00:00:00Z</CompleteTime>"
             "</cwmp:TransferComplete></soapenv:Body></soapenv:Envelope>",
             key);
    CHECK(post_raw(hems, 5, NULL, reply) == 200);
    CHECK(femtocwmp_hems_export_device(hems, S("00A0C6-FAP-VICTIM"), after, sizeof after, &after_len) == FEMTOCWMP_RESULT_OK);
    CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    CHECK(victim_finished == 0 && raw_refused == 1);
    /* the head alone: refused without reading a body, then admitted with credentials */
    bool read_body = true;
    femtocwmp_header head[2] = {{S(":path"), S("/cwmp")}, {S("Authorization"), S("")}};
    CHECK(femtocwmp_hems_handle_request_head(hems, 9, head, 1, 6, &read_body) == FEMTOCWMP_RESULT_OK);
    CHECK(!read_body);
    uint8_t *b = NULL;
    size_t blen = 0, hcount = 0;
    femtocwmp_header rh[4];
    char hbuf[4][512];
    seen h = {0};
    CHECK(drain_hems(hems, &h, &b, &blen, rh, hbuf, &hcount) == 401);
    free(b);
    snprintf(last_challenge, sizeof last_challenge, "%.*s", (int)rh[0].value_len, (const char *)rh[0].value);
    answer("a", "pass-a", auth, sizeof auth);
    head[1] = (femtocwmp_header){S("Authorization"), S(auth)};
    CHECK(femtocwmp_hems_handle_request_head(hems, 9, head, 2, 7, &read_body) == FEMTOCWMP_RESULT_OK);
    CHECK(read_body);
    CHECK(femtocwmp_hems_handle_request_head(hems, 9, head, 2, 7, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    femtocwmp_hems_free(hems);
}

int main(void) {
    table_source();
    takeover_sequence();
    callback_source();
    certificates_and_basic();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
