/* The typed C API: messages built and read field by field, configurations built once, and a
 * whole CM session (Inform -> SetParameterValues -> response -> 204) with no JSON on either
 * side; plus every error path of the builders and readers. -Wall -Wextra -Werror -std=c99. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "femtocwmp.h"
#include "message.h"

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
#define OK FEMTOCWMP_RESULT_OK
#define INVALID FEMTOCWMP_RESULT_INVALID_PARAMETER

static const char *PCI = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID";

static int same(femtocwmp_str s, const char *want) {
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.data, want, s.len) == 0);
}

static femtocwmp_param param(const char *name, const char *type, const char *value) {
    femtocwmp_param p = {{(const uint8_t *)name, strlen(name)},
                         {(const uint8_t *)type, strlen(type)},
                         {(const uint8_t *)value, strlen(value)}};
    return p;
}

/* The JSON form of a message, into a static buffer. */
static const char *json_of(const femtocwmp_message *m) {
    static char buf[8192];
    size_t len = 0;
    if (femtocwmp_message_json(m, (uint8_t *)buf, sizeof buf, &len) != OK) return "";
    return buf;
}

static void builders_and_readers(void) {
    femtocwmp_message *spv = NULL;
    CHECK(femtocwmp_message_new(S("SetParameterValues"), &spv) == OK);
    femtocwmp_param p = param(PCI, "unsignedInt", "77");
    CHECK(femtocwmp_message_add_param(spv, &p) == OK);
    p = param("Device.ManagementServer.PeriodicInformInterval", "xsd:unsignedInt", "600");
    CHECK(femtocwmp_message_add_param(spv, &p) == OK);
    p = param("Device.X_ACME.Note", "", "no type means string");
    CHECK(femtocwmp_message_add_param(spv, &p) == OK);
    CHECK(femtocwmp_message_set_parameter_key(spv, S("cfg-7")) == OK);
    CHECK(strcmp(json_of(spv),
                 "{\"method\":\"SetParameterValues\",\"parameter_list\":["
                 "{\"name\":\"Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID\",\"type\":\"unsignedInt\",\"value\":\"77\"},"
                 "{\"name\":\"Device.ManagementServer.PeriodicInformInterval\",\"type\":\"unsignedInt\",\"value\":\"600\"},"
                 "{\"name\":\"Device.X_ACME.Note\",\"type\":\"string\",\"value\":\"no type means string\"}],"
                 "\"parameter_key\":\"cfg-7\"}") == 0);

    size_t n = 0;
    femtocwmp_param got;
    femtocwmp_str method;
    CHECK(femtocwmp_message_method(spv, &method) == OK && same(method, "SetParameterValues"));
    CHECK(femtocwmp_message_param_count(spv, &n) == OK && n == 3);
    CHECK(femtocwmp_message_param(spv, 1, &got) == OK);
    CHECK(same(got.name, "Device.ManagementServer.PeriodicInformInterval"));
    CHECK(same(got.xsd_type, "unsignedInt") && same(got.value, "600"));
    CHECK(femtocwmp_message_param(spv, 3, &got) == INVALID);

    /* values that do not fit their type, unknown types, bad text, fields the method lacks */
    p = param(PCI, "unsignedInt", "-1");
    CHECK(femtocwmp_message_add_param(spv, &p) == INVALID);
    p = param(PCI, "xsd:float", "1.5");
    CHECK(femtocwmp_message_add_param(spv, &p) == INVALID);
    p = param(PCI, "boolean", "maybe");
    CHECK(femtocwmp_message_add_param(spv, &p) == INVALID);
    p = param("Device.\xff", "string", "x");
    CHECK(femtocwmp_message_add_param(spv, &p) == FEMTOCWMP_RESULT_INVALID_UTF8);
    CHECK(femtocwmp_message_add_param(spv, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_message_add_param(NULL, &p) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_message_param_count(spv, &n) == OK && n == 3);
    CHECK(femtocwmp_message_add_name(spv, S("Device.")) == INVALID);
    CHECK(femtocwmp_message_set_status(spv, 0) == INVALID);
    CHECK(femtocwmp_message_set_command_key(spv, S("k")) == INVALID);
    CHECK(femtocwmp_message_add_event(spv, S("1 BOOT"), S("")) == INVALID);
    femtocwmp_download d;
    CHECK(femtocwmp_message_download(spv, &d) == INVALID);
    femtocwmp_message_free(spv);
    femtocwmp_message_free(NULL);

    /* GetParameterValues names */
    femtocwmp_message *gpv = NULL;
    CHECK(femtocwmp_message_new(S("GetParameterValues"), &gpv) == OK);
    CHECK(femtocwmp_message_add_name(gpv, S("Device.FAP.Tunnel.")) == OK);
    CHECK(femtocwmp_message_add_name(gpv, S(PCI)) == OK);
    femtocwmp_str name;
    CHECK(femtocwmp_message_name_count(gpv, &n) == OK && n == 2);
    CHECK(femtocwmp_message_name(gpv, 1, &name) == OK && same(name, PCI));
    CHECK(femtocwmp_message_name(gpv, 2, &name) == INVALID);
    CHECK(femtocwmp_message_param_count(gpv, &n) == INVALID);
    femtocwmp_message_free(gpv);

    /* Download: every argument set and read back */
    femtocwmp_message *dl = NULL;
    CHECK(femtocwmp_message_new(S("Download"), &dl) == OK);
    femtocwmp_download args = {STR("cfg-2026"), STR("3 Vendor Configuration File"),
                               STR("http://files.hems/cfg.xml"), STR("henb"), STR("s3cret"),
                               1234, STR("cfg.xml"), 5};
    CHECK(femtocwmp_message_set_download(dl, &args) == OK);
    CHECK(femtocwmp_message_download(dl, &d) == OK);
    CHECK(same(d.command_key, "cfg-2026") && same(d.file_type, "3 Vendor Configuration File"));
    CHECK(same(d.url, "http://files.hems/cfg.xml") && same(d.username, "henb") && same(d.password, "s3cret"));
    CHECK(d.file_size == 1234 && same(d.target_file_name, "cfg.xml") && d.delay_seconds == 5);
    args.file_type = STR("");
    CHECK(femtocwmp_message_set_download(dl, &args) == INVALID);
    CHECK(femtocwmp_message_set_command_key(dl, S("again")) == OK);
    CHECK(femtocwmp_message_download(dl, &d) == OK && same(d.command_key, "again"));
    femtocwmp_message_free(dl);

    /* responses, faults, TransferComplete */
    femtocwmp_message *r = NULL;
    int32_t status = -1;
    CHECK(femtocwmp_message_new(S("SetParameterValuesResponse"), &r) == OK);
    CHECK(femtocwmp_message_set_status(r, 1) == OK);
    CHECK(femtocwmp_message_set_status(r, 2) == INVALID);
    CHECK(femtocwmp_message_status(r, &status) == OK && status == 1);
    femtocwmp_message_free(r);
    femtocwmp_message *f = NULL;
    uint32_t code = 0;
    femtocwmp_str text;
    CHECK(femtocwmp_message_new_fault(9005, S("Invalid parameter name"), &f) == OK);
    CHECK(femtocwmp_message_fault(f, &code, &text) == OK && code == 9005 && same(text, "Invalid parameter name"));
    CHECK(femtocwmp_message_method(f, &method) == OK && same(method, "Fault"));
    femtocwmp_message_free(f);
    femtocwmp_message *tc = NULL;
    CHECK(femtocwmp_message_new(S("TransferComplete"), &tc) == OK);
    CHECK(femtocwmp_message_set_command_key(tc, S("cfg-2026")) == OK);
    CHECK(femtocwmp_message_set_transfer_fault(tc, 9010, S("Download failure")) == OK);
    CHECK(femtocwmp_message_fault(tc, &code, &text) == OK && code == 9010 && same(text, "Download failure"));
    femtocwmp_message_free(tc);

    /* Inform */
    femtocwmp_message *inform = NULL;
    femtocwmp_device_id id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("T1")}, got_id;
    CHECK(femtocwmp_message_new(S("Inform"), &inform) == OK);
    CHECK(femtocwmp_message_set_device_id(inform, &id) == OK);
    femtocwmp_device_id no_serial = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("")};
    CHECK(femtocwmp_message_set_device_id(inform, &no_serial) == INVALID);
    CHECK(femtocwmp_message_add_event(inform, S("1 BOOT"), S("")) == OK);
    CHECK(femtocwmp_message_add_event(inform, S("M Reboot"), S("rb-1")) == OK);
    CHECK(femtocwmp_message_set_current_time(inform, S("2026-12-01T10:00:00Z")) == OK);
    CHECK(femtocwmp_message_set_current_time(inform, S("yesterday")) == INVALID);
    CHECK(femtocwmp_message_device_id(inform, &got_id) == OK && same(got_id.serial_number, "T1"));
    femtocwmp_str ev_code, ev_key;
    CHECK(femtocwmp_message_event_count(inform, &n) == OK && n == 2);
    CHECK(femtocwmp_message_event(inform, 1, &ev_code, &ev_key) == OK && same(ev_code, "M Reboot") && same(ev_key, "rb-1"));
    CHECK(femtocwmp_message_event(inform, 2, &ev_code, &ev_key) == INVALID);
    CHECK(femtocwmp_message_event(inform, 0, NULL, &ev_key) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    femtocwmp_message_free(inform);

    /* constructors */
    femtocwmp_message *m = NULL;
    CHECK(femtocwmp_message_new(S("Fault"), &m) == INVALID);
    CHECK(femtocwmp_message_new(S("Rebooot"), &m) == INVALID);
    CHECK(femtocwmp_message_new(S("Reboot"), NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_message_from_json(S("{\"method\":\"Reboot\",\"command_key\":\"k\"}"), &m) == OK);
    CHECK(strcmp(json_of(m), "{\"method\":\"Reboot\",\"command_key\":\"k\"}") == 0);
    size_t need = 0;
    CHECK(femtocwmp_message_json(m, NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE && need == strlen("{\"method\":\"Reboot\",\"command_key\":\"k\"}") + 1);
    femtocwmp_message_free(m);
    m = NULL;
    CHECK(femtocwmp_message_from_json(S("{\"method\":\"Reboot\",\"nope\":1}"), &m) == FEMTOCWMP_RESULT_INVALID_JSON);
    CHECK(m == NULL);
}

/* One complete session, typed on both sides. */
static void typed_session(void) {
    femtocwmp_cpe_config *cpe_config = NULL;
    femtocwmp_acs_config *acs_config = NULL;
    CHECK(femtocwmp_cpe_config_new(S("http://hems/cwmp"), &cpe_config) == OK);
    CHECK(femtocwmp_acs_config_new(&acs_config) == OK);

    femtocwmp_message *inform = NULL;
    femtocwmp_device_id id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("T2")};
    CHECK(femtocwmp_message_new(S("Inform"), &inform) == OK);
    CHECK(femtocwmp_message_set_device_id(inform, &id) == OK);
    CHECK(femtocwmp_message_add_event(inform, S("2 PERIODIC"), S("")) == OK);
    femtocwmp_param p = param("Device.FAP.Tunnel.IKESA.1.IPAddress", "string", "172.16.0.10");
    CHECK(femtocwmp_message_add_param(inform, &p) == OK);
    femtocwmp_cpe_session *cpe = NULL;
    CHECK(femtocwmp_cpe_session_start(cpe_config, inform, 0, &cpe) == OK);
    femtocwmp_cpe_config_free(cpe_config); /* the session keeps its own copy */

    femtocwmp_acs_session *acs = NULL;
    uint64_t now = 0, spv_id = 0;
    int posts = 0, answered = 0, response_ok = 0, ended = 0;
    message *post = malloc(sizeof *post), *resp = malloc(sizeof *resp);
    for (int round = 0; round < 10; round++) {
        femtocwmp_output o;
        post->present = resp->present = 0;
        for (;;) {
            CHECK(femtocwmp_cpe_session_poll_output(cpe, &o) == OK);
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                keep(post, &o);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_REQUEST) {
                    const femtocwmp_message *req = NULL;
                    femtocwmp_param got;
                    size_t n = 0;
                    uint64_t rid = 0;
                    CHECK(femtocwmp_event_message(o.event, &req) == OK);
                    CHECK(femtocwmp_message_param_count(req, &n) == OK && n == 1);
                    CHECK(femtocwmp_message_param(req, 0, &got) == OK && same(got.value, "42"));
                    CHECK(femtocwmp_event_id(o.event, &rid) == OK);
                    femtocwmp_message *answer = NULL;
                    CHECK(femtocwmp_message_new(S("SetParameterValuesResponse"), &answer) == OK);
                    CHECK(femtocwmp_cpe_session_respond(cpe, rid, answer, now) == OK);
                    femtocwmp_message *again = NULL;
                    CHECK(femtocwmp_message_new(S("SetParameterValuesResponse"), &again) == OK);
                    CHECK(femtocwmp_cpe_session_respond(cpe, rid, again, now) == FEMTOCWMP_RESULT_LOCAL_PROTOCOL_ERROR);
                    answered = 1;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_ENDED) {
                    bool ok = false;
                    CHECK(femtocwmp_event_succeeded(o.event, &ok) == OK && ok);
                    ended++;
                }
            } else {
                break;
            }
        }
        if (!post->present) break;
        posts++;
        now++;
        if (!acs) {
            femtocwmp_accepted *a = NULL;
            CHECK(femtocwmp_acceptor_accept(post->headers, post->header_count, post->body, post->body_len, now, &a) == OK);
            CHECK(femtocwmp_accepted_start(a, acs_config, &acs) == OK);
        } else {
            CHECK(femtocwmp_acs_session_handle_http_request(acs, post->headers, post->header_count, post->body, post->body_len, now) == OK);
        }
        for (;;) {
            CHECK(femtocwmp_acs_session_poll_output(acs, &o) == OK);
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                keep(resp, &o);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_INFORMED) {
                    const femtocwmp_message *inf = NULL;
                    femtocwmp_device_id who;
                    femtocwmp_param got;
                    femtocwmp_str code, key;
                    CHECK(femtocwmp_event_message(o.event, &inf) == OK);
                    CHECK(femtocwmp_message_device_id(inf, &who) == OK && same(who.serial_number, "T2"));
                    CHECK(femtocwmp_message_param(inf, 0, &got) == OK && same(got.value, "172.16.0.10"));
                    CHECK(femtocwmp_message_event(inf, 0, &code, &key) == OK && same(code, "2 PERIODIC"));
                    femtocwmp_message *spv = NULL;
                    femtocwmp_param v = param(PCI, "unsignedInt", "42");
                    CHECK(femtocwmp_message_new(S("SetParameterValues"), &spv) == OK);
                    CHECK(femtocwmp_message_add_param(spv, &v) == OK);
                    CHECK(femtocwmp_acs_session_queue(acs, spv, now, &spv_id) == OK);
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_RESPONSE) {
                    const femtocwmp_message *r = NULL;
                    uint64_t rid = 0;
                    int32_t status = -1;
                    bool ok = false;
                    CHECK(femtocwmp_event_id(o.event, &rid) == OK && rid == spv_id);
                    CHECK(femtocwmp_event_succeeded(o.event, &ok) == OK && ok);
                    CHECK(femtocwmp_event_message(o.event, &r) == OK);
                    CHECK(femtocwmp_message_status(r, &status) == OK && status == 0);
                    response_ok = 1;
                }
            } else {
                break;
            }
        }
        CHECK(resp->present);
        now++;
        CHECK(femtocwmp_cpe_session_handle_http_response(cpe, resp->status, resp->headers, resp->header_count, resp->body, resp->body_len, now) == OK);
    }
    CHECK(posts == 3 && answered && response_ok && ended == 1);

    /* consuming functions take the message even when they fail */
    femtocwmp_message *m = NULL;
    uint64_t id2 = 0;
    CHECK(femtocwmp_message_new(S("GetRPCMethods"), &m) == OK);
    CHECK(femtocwmp_acs_session_queue(NULL, m, now, &id2) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_message_new(S("GetRPCMethods"), &m) == OK);
    CHECK(femtocwmp_cpe_session_request(cpe, m, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_cpe_session_respond(cpe, 1, NULL, now) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_message_new(S("Reboot"), &m) == OK);
    femtocwmp_cpe_session *bad = NULL;
    femtocwmp_cpe_config *c2 = NULL;
    CHECK(femtocwmp_cpe_config_from_json(S("{\"acs_url\":\"http://h/\"}"), &c2) == OK);
    CHECK(femtocwmp_cpe_session_start(c2, m, 0, &bad) == INVALID); /* not an Inform */
    CHECK(femtocwmp_message_new(S("Inform"), &m) == OK);
    CHECK(femtocwmp_cpe_session_start(c2, m, 0, &bad) == INVALID); /* no DeviceId */
    CHECK(femtocwmp_cpe_config_from_json(S("{\"acs_uri\":1}"), &c2) == FEMTOCWMP_RESULT_INVALID_JSON);
    femtocwmp_cpe_config_free(c2);
    femtocwmp_cpe_config_free(NULL);
    femtocwmp_acs_config *a2 = NULL;
    CHECK(femtocwmp_acs_config_from_json(S("{}"), &a2) == OK);
    CHECK(femtocwmp_accepted_start(NULL, a2, &acs) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    femtocwmp_acs_config_free(a2);
    femtocwmp_acs_config_free(acs_config);
    femtocwmp_acs_config_free(NULL);

    /* event accessors refuse the kinds they do not apply to, and NULL */
    femtocwmp_output o;
    CHECK(femtocwmp_event_get_kind(NULL) == FEMTOCWMP_EVENT_KIND_NONE);
    femtocwmp_str s;
    CHECK(femtocwmp_event_url(NULL, &s) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_acs_session_handle_connection_closed(acs, now) == OK);
    CHECK(femtocwmp_acs_session_poll_output(acs, &o) == OK);
    CHECK(o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT && o.event_kind == FEMTOCWMP_EVENT_KIND_ENDED);
    const femtocwmp_message *none = NULL;
    uint64_t nid = 0;
    CHECK(femtocwmp_event_message(o.event, &none) == INVALID && none == NULL);
    CHECK(femtocwmp_event_id(o.event, &nid) == INVALID);
    CHECK(femtocwmp_event_url(o.event, &s) == INVALID);
    CHECK(strstr(event_json(&o), "\"Ended\"") != NULL);

    free(post);
    free(resp);
    femtocwmp_cpe_session_free(cpe);
    femtocwmp_acs_session_free(acs);
}

/* Every typed function refuses NULL handles and NULL out-pointers with NULL_PARAMETER. */
static void null_everywhere(void) {
    const femtocwmp_result N = FEMTOCWMP_RESULT_NULL_PARAMETER;
    femtocwmp_message *m = NULL;
    femtocwmp_str s;
    femtocwmp_param p;
    femtocwmp_download d;
    femtocwmp_device_id id;
    size_t n = 0;
    uint32_t code = 0;
    int32_t status = 0;
    uint64_t u = 0;
    bool b = false;
    const uint8_t *data = NULL;
    const femtocwmp_message *cm = NULL;
    CHECK(femtocwmp_message_new(NULL, 5, &m) == N);
    CHECK(femtocwmp_message_new_fault(9000, S("x"), NULL) == N);
    CHECK(femtocwmp_message_from_json(NULL, 3, &m) == N);
    CHECK(femtocwmp_message_json(NULL, NULL, 0, &n) == N);
    CHECK(femtocwmp_message_method(NULL, &s) == N);
    CHECK(femtocwmp_message_add_name(NULL, S("x")) == N);
    CHECK(femtocwmp_message_add_event(NULL, S("1 BOOT"), S("")) == N);
    CHECK(femtocwmp_message_set_device_id(NULL, &id) == N);
    CHECK(femtocwmp_message_set_current_time(NULL, S("2026-12-01T10:00:00Z")) == N);
    CHECK(femtocwmp_message_set_command_key(NULL, S("k")) == N);
    CHECK(femtocwmp_message_set_parameter_key(NULL, S("k")) == N);
    CHECK(femtocwmp_message_set_status(NULL, 0) == N);
    CHECK(femtocwmp_message_set_download(NULL, &d) == N);
    CHECK(femtocwmp_message_set_transfer_fault(NULL, 0, S("")) == N);
    CHECK(femtocwmp_message_param_count(NULL, &n) == N);
    CHECK(femtocwmp_message_param(NULL, 0, &p) == N);
    CHECK(femtocwmp_message_name_count(NULL, &n) == N);
    CHECK(femtocwmp_message_name(NULL, 0, &s) == N);
    CHECK(femtocwmp_message_event_count(NULL, &n) == N);
    CHECK(femtocwmp_message_event(NULL, 0, &s, &s) == N);
    CHECK(femtocwmp_message_device_id(NULL, &id) == N);
    CHECK(femtocwmp_message_fault(NULL, &code, &s) == N);
    CHECK(femtocwmp_message_download(NULL, &d) == N);
    CHECK(femtocwmp_message_status(NULL, &status) == N);
    CHECK(femtocwmp_message_new(S("SetParameterValues"), &m) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_message_param_count(m, NULL) == N);
    CHECK(femtocwmp_message_method(m, NULL) == N);
    CHECK(femtocwmp_message_set_download(m, NULL) == N);
    CHECK(femtocwmp_message_set_device_id(m, NULL) == N);
    femtocwmp_message_free(m);
    CHECK(femtocwmp_event_json(NULL, NULL, 0, &n) == N);
    CHECK(femtocwmp_event_message(NULL, &cm) == N);
    CHECK(femtocwmp_event_id(NULL, &u) == N);
    CHECK(femtocwmp_event_succeeded(NULL, &b) == N);
    CHECK(femtocwmp_event_device(NULL, &s) == N);
    CHECK(femtocwmp_event_url(NULL, &s) == N);
    CHECK(femtocwmp_event_address(NULL, &s) == N);
    CHECK(femtocwmp_event_command_key(NULL, &s) == N);
    CHECK(femtocwmp_event_credentials(NULL, &s, &s) == N);
    CHECK(femtocwmp_event_data(NULL, &data, &n) == N);
    CHECK(femtocwmp_event_changed_count(NULL, &n, &b) == N);
    CHECK(femtocwmp_event_changed_name(NULL, 0, &s) == N);
    CHECK(femtocwmp_event_record(NULL, NULL, 0, &n) == N);
    CHECK(femtocwmp_event_conn(NULL, &u) == N);
    femtocwmp_cpe_config *cc = NULL;
    femtocwmp_acs_config *ac = NULL;
    CHECK(femtocwmp_cpe_config_new(NULL, 4, &cc) == N);
    CHECK(femtocwmp_cpe_config_new(S("http://h/"), NULL) == N);
    CHECK(femtocwmp_acs_config_new(NULL) == N);
    CHECK(femtocwmp_cpe_session_start(NULL, NULL, 0, NULL) == N);
    CHECK(femtocwmp_agent_new_femtocell(NULL, 0, NULL) == N);
    CHECK(femtocwmp_hems_snapshot(NULL, NULL, 0, &n) == N);
    CHECK(femtocwmp_hems_restore(NULL, 2, S("{}"), NULL) == N);
    CHECK(femtocwmp_hems_export_device(NULL, S("k"), NULL, 0, &n) == N);
    CHECK(femtocwmp_hems_import_device(NULL, S("{}")) == N);
    CHECK(femtocwmp_hems_provide_device(NULL, 1, NULL, 0, 0) == N);
    (void)ac;
}

int main(void) {
    null_everywhere();
    builders_and_readers();
    typed_session();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
