/* The TS 32.593 flows through the C ABI: a HeNB agent and a HeMS in memory, both driven by
 * C code as a legacy femtocell daemon would (registration, SetParameterValues, file
 * download, IPsec address change), plus error paths. -Wall -Wextra -Werror -std=c99. */
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

static const char *DEVICE = "{\"manufacturer\":\"Acme\",\"oui\":\"00A0C6\",\"product_class\":\"FAP\",\"serial_number\":\"C1\"}";
static const char *KEY = "00A0C6-FAP-C1";
static const char *CONFIG_FILE =
    "<configDataFile><configData><Device><Services><FAPService index=\"1\"><CellConfig><LTE><RAN><RF>"
    "<EARFCNDL>1350</EARFCNDL></RF></RAN></LTE></CellConfig></FAPService></Services></Device>"
    "</configData></configDataFile>";

static int finished_ok = 0, finished_bad = 0, ipsec_changes = 0, downloads = 0, changes = 0;
static uint64_t last_procedure = 0;
static int defer_download = 0, loads = 0, stores = 0;
static char deferred_key[64], last_ipsec_json[1024];
static uint8_t store[16384]; /* the C side's device store: one record */
static size_t store_len = 0;
static int reboot_flags = 0; /* 1: a change without reboot seen, 2: one needing a reboot */

/* Whether a borrowed string equals a C string. */
static int same(femtocwmp_str s, const char *want) {
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.data, want, s.len) == 0);
}
#define STR(x) ((femtocwmp_str){(const uint8_t *)(x), sizeof(x) - 1})

/* Copies a borrowed body out of an output. */
static unsigned char *copy(const uint8_t *p, size_t n) {
    unsigned char *c = malloc(n + 1);
    if (n) memcpy(c, p, n);
    c[n] = 0;
    return c;
}

static void value_is(femtocwmp_agent *a, const char *name, const char *want) {
    char buf[256];
    size_t len = 0;
    CHECK(femtocwmp_agent_parameter_value(a, S(name), (uint8_t *)buf, sizeof buf, &len) == FEMTOCWMP_RESULT_OK);
    CHECK(strcmp(buf, want) == 0);
}

/* The HeMS's outputs in order, for a HeMS that persists: P (persist), T (transmit), E. */
static char trail[4096];
static size_t trail_len = 0;
static void note(char c) {
    if (trail_len + 1 < sizeof trail) trail[trail_len++] = c, trail[trail_len] = 0;
}

/* Runs both sides until neither has anything to do. */
static void run(femtocwmp_agent *agent, femtocwmp_hems *hems, uint64_t now) {
    for (int round = 0; round < 100; round++) {
        int moved = 0;
        femtocwmp_output o;
        uint64_t conn = 0;
        for (;;) { /* the HeMS */
            CHECK(femtocwmp_hems_poll_output(hems, &o, &conn) == FEMTOCWMP_RESULT_OK);
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                moved = 1;
                note('T');
                unsigned char *body = copy(o.body, o.body_len);
                uint16_t status = o.http_status;
                size_t len = o.body_len;
                CHECK(femtocwmp_agent_handle_http_response(agent, status, NULL, 0, body, len, now) == FEMTOCWMP_RESULT_OK);
                free(body);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                moved = 1;
                femtocwmp_str device = {0};
                CHECK(femtocwmp_event_get_kind(o.event) == o.event_kind);
                CHECK(femtocwmp_event_device(o.event, &device) == FEMTOCWMP_RESULT_OK);
                CHECK(same(device, KEY));
                note(o.event_kind == FEMTOCWMP_EVENT_KIND_PERSIST ? 'P' : 'E');
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_PERSIST) {
                    /* the change and its events: one write to the store, then published */
                    CHECK(femtocwmp_event_record(o.event, store, sizeof store, &store_len) == FEMTOCWMP_RESULT_OK);
                    stores++;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_LOAD_DEVICE) {
                    uint64_t c = 0;
                    CHECK(femtocwmp_event_conn(o.event, &c) == FEMTOCWMP_RESULT_OK);
                    loads++;
                    CHECK(femtocwmp_hems_provide_device(hems, c, store_len ? store : NULL, store_len, now) == FEMTOCWMP_RESULT_OK);
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_STORE_DEVICE) {
                    size_t need = 0;
                    CHECK(femtocwmp_event_record(o.event, NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
                    CHECK(need <= sizeof store);
                    CHECK(femtocwmp_event_record(o.event, store, sizeof store, &store_len) == FEMTOCWMP_RESULT_OK);
                    stores++;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_IPSEC_ADDRESS_CHANGED) {
                    char json[1024];
                    size_t jl = 0;
                    CHECK(femtocwmp_event_json(o.event, (uint8_t *)json, sizeof json, &jl) == FEMTOCWMP_RESULT_OK);
                    snprintf(last_ipsec_json, sizeof last_ipsec_json, "%s", json);
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_CONNECTION_REQUEST) {
                    femtocwmp_str url, user, pass;
                    CHECK(femtocwmp_event_url(o.event, &url) == FEMTOCWMP_RESULT_OK);
                    CHECK(same(url, "http://10.0.0.9:7547/cr"));
                    CHECK(femtocwmp_event_credentials(o.event, &user, &pass) == FEMTOCWMP_RESULT_OK);
                    /* TR-069 3.2.2: the HeNB challenges, the HeMS answers with Digest */
                    uint16_t status = 0;
                    char challenge[512], authorization[1024];
                    size_t clen = 0, alen = 0;
                    CHECK(femtocwmp_agent_handle_connection_request(agent, S("GET"), NULL, 0, now, &status,
                                                                    (uint8_t *)challenge, sizeof challenge, &clen) == FEMTOCWMP_RESULT_OK);
                    CHECK(status == 401);
                    femtocwmp_str www = {(const uint8_t *)challenge, clen};
                    CHECK(femtocwmp_authorization_for(&www, 1, user, pass, STR("GET"), url, STR("c-cnonce"),
                                                      (uint8_t *)authorization, sizeof authorization, &alen) == FEMTOCWMP_RESULT_OK);
                    femtocwmp_header h = {S("Authorization"), (const uint8_t *)authorization, alen};
                    CHECK(femtocwmp_agent_handle_connection_request(agent, S("GET"), &h, 1, now, &status, NULL, 0, NULL) == FEMTOCWMP_RESULT_OK);
                    CHECK(status == 200);
                    /* the same request again is a replay */
                    CHECK(femtocwmp_agent_handle_connection_request(agent, S("GET"), &h, 1, now, &status, NULL, 0, NULL) == FEMTOCWMP_RESULT_OK);
                    CHECK(status == 401);
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_PROCEDURE_FINISHED) {
                    bool ok = false;
                    uint64_t pid = 0;
                    CHECK(femtocwmp_event_succeeded(o.event, &ok) == FEMTOCWMP_RESULT_OK);
                    CHECK(femtocwmp_event_id(o.event, &pid) == FEMTOCWMP_RESULT_OK && pid == last_procedure);
                    if (ok) finished_ok++;
                    else finished_bad++;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_IPSEC_ADDRESS_CHANGED) {
                    femtocwmp_str address;
                    CHECK(femtocwmp_event_address(o.event, &address) == FEMTOCWMP_RESULT_OK);
                    if (same(address, "172.16.5.5")) ipsec_changes++;
                }
            } else {
                break;
            }
        }
        for (;;) { /* the HeNB */
            CHECK(femtocwmp_agent_poll_output(agent, &o) == FEMTOCWMP_RESULT_OK);
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                moved = 1;
                unsigned char *body = copy(o.body, o.body_len);
                size_t len = o.body_len;
                CHECK(femtocwmp_hems_handle_http_request(hems, 1, NULL, 0, body, len, now) == FEMTOCWMP_RESULT_OK);
                free(body);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_DOWNLOAD_REQUESTED) {
                    const femtocwmp_message *m = NULL;
                    femtocwmp_download d;
                    CHECK(femtocwmp_event_message(o.event, &m) == FEMTOCWMP_RESULT_OK);
                    CHECK(femtocwmp_message_download(m, &d) == FEMTOCWMP_RESULT_OK);
                    CHECK(same(d.url, "http://files/cfg.xml") && same(d.file_type, "3 Vendor Configuration File"));
                    char key[64] = {0};
                    memcpy(key, d.command_key.data, d.command_key.len < 63 ? d.command_key.len : 63);
                    if (defer_download)
                        snprintf(deferred_key, sizeof deferred_key, "%s", key);
                    else
                        CHECK(femtocwmp_agent_download_finished(agent, S(key), S(CONFIG_FILE), 0, now) == FEMTOCWMP_RESULT_OK);
                    downloads++;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_PARAMETERS_CHANGED) {
                    size_t n = 0;
                    bool reboot = true;
                    femtocwmp_str name;
                    CHECK(femtocwmp_event_changed_count(o.event, &n, &reboot) == FEMTOCWMP_RESULT_OK);
                    CHECK(n >= 1);
                    reboot_flags |= reboot ? 2 : 1;
                    CHECK(femtocwmp_event_changed_name(o.event, 0, &name) == FEMTOCWMP_RESULT_OK && name.len > 7);
                    CHECK(femtocwmp_event_changed_name(o.event, n, &name) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
                    changes++;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_SESSION_ENDED) {
                    bool ok = false;
                    CHECK(femtocwmp_event_succeeded(o.event, &ok) == FEMTOCWMP_RESULT_OK && ok);
                    CHECK(femtocwmp_hems_handle_connection_closed(hems, 1, now) == FEMTOCWMP_RESULT_OK);
                }
                moved = 1;
            } else {
                break;
            }
        }
        if (!moved) return;
    }
    CHECK(!"the flows did not settle");
}

/* The HeMS restarts between the Download and its TransferComplete: its snapshot blob
 * carries the procedure over, and the late TransferComplete completes it. */
static void hems_restart_mid_download(void) {
    femtocwmp_femtocell cell = {
        .device_id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("C1")},
        .acs_url = STR("http://hems/cwmp"),
        .connection_request_url = STR("http://10.0.0.9:7547/cr"),
        .software_version = STR("1.0"),
        .ipsec_address = STR("172.16.0.10"),
        .connection_request_password = STR(""), /* what the HeMS's default_cr_password is */
    };
    femtocwmp_agent *agent = NULL;
    femtocwmp_hems *hems = NULL;
    uint64_t id = 0;
    CHECK(femtocwmp_agent_new_femtocell(&cell, 0, &agent) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_new(S("{}"), &hems) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 1);
    /* a change: a size query takes nothing; taken, the parameters are no longer new */
    size_t change_need = 0, change_len = 0;
    CHECK(femtocwmp_hems_take_device_change(hems, S(KEY), NULL, 0, &change_need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    uint8_t *change = malloc(change_need);
    CHECK(femtocwmp_hems_take_device_change(hems, S(KEY), change, change_need, &change_len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr((const char *)change, "ConnectionRequestURL") != NULL);
    CHECK(femtocwmp_hems_take_device_change(hems, S(KEY), change, change_need, &change_len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr((const char *)change, "\"parameters\":[]") != NULL);
    CHECK(femtocwmp_hems_take_device_change(hems, S("00A0C6-FAP-NOPE"), change, change_need, &change_len) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    free(change);
    const char *dl = "{\"ConfigureByFileDownload\":{\"url\":\"http://files/cfg.xml\",\"username\":\"\",\"password\":\"\","
                     "\"file_size\":0,\"target_file_name\":\"\",\"delay_seconds\":0,\"timeout_ms\":600000}}";
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S(dl), 2, &id) == FEMTOCWMP_RESULT_OK);
    last_procedure = id;
    defer_download = 1;
    finished_ok = finished_bad = 0;
    run(agent, hems, 2);
    defer_download = 0;
    CHECK(deferred_key[0] != 0 && finished_ok == 0);

    size_t need = 0, len = 0;
    CHECK(femtocwmp_hems_snapshot(hems, NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    uint8_t *blob = malloc(need);
    CHECK(femtocwmp_hems_snapshot(hems, blob, need, &len) == FEMTOCWMP_RESULT_OK);
    femtocwmp_hems_free(hems); /* the HeMS process ends */
    femtocwmp_hems *again = NULL;
    CHECK(femtocwmp_hems_restore(blob, len, S("{}"), &again) == FEMTOCWMP_RESULT_OK);
    free(blob);
    CHECK(femtocwmp_hems_restore(S("[{\"nope\":1}]"), S("{}"), &hems) == FEMTOCWMP_RESULT_INVALID_JSON);

    CHECK(femtocwmp_agent_download_finished(agent, S(deferred_key), S(CONFIG_FILE), 0, 3) == FEMTOCWMP_RESULT_OK);
    run(agent, again, 3);
    CHECK(finished_ok == 1 && finished_bad == 0);
    value_is(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL", "1350");

    /* one record out and into another HeMS */
    CHECK(femtocwmp_hems_export_device(again, S(KEY), NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    blob = malloc(need);
    CHECK(femtocwmp_hems_export_device(again, S(KEY), blob, need, &len) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_export_device(again, S("00A0C6-FAP-NOPE"), blob, need, &len) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    femtocwmp_hems *other = NULL;
    CHECK(femtocwmp_hems_new(S("{}"), &other) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_import_device(other, blob, len) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_import_device(other, S("{}")) == FEMTOCWMP_RESULT_INVALID_JSON);
    size_t other_len = 0;
    CHECK(femtocwmp_hems_export_device(other, S(KEY), NULL, 0, &other_len) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    CHECK(other_len == need);
    free(blob);
    femtocwmp_hems_free(other);
    femtocwmp_hems_free(again);
    femtocwmp_agent_free(agent);
}

/* A HeMS that keeps no device in memory: LOAD_DEVICE / STORE_DEVICE with the C side's store. */
static void external_store(void) {
    femtocwmp_femtocell cell = {
        .device_id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("C1")},
        .acs_url = STR("http://hems/cwmp"),
        .connection_request_url = STR("http://10.0.0.9:7547/cr"),
        .software_version = STR("1.0"),
        .ipsec_address = STR("172.16.0.10"),
        .connection_request_password = STR(""), /* what the HeMS's default_cr_password is */
    };
    femtocwmp_agent *agent = NULL;
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_agent_new_femtocell(&cell, 0, &agent) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_new(S("{\"external_store\":true}"), &hems) == FEMTOCWMP_RESULT_OK);
    store_len = 0;
    loads = stores = 0;
    run(agent, hems, 1);
    CHECK(loads == 1 && stores == 1 && store_len > 0);
    size_t len = 0;
    CHECK(femtocwmp_hems_export_device(hems, S(KEY), NULL, 0, &len) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    last_ipsec_json[0] = 0;
    CHECK(femtocwmp_agent_set_ipsec_address(agent, S("172.16.7.7"), 2) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 2);
    CHECK(loads == 2 && stores == 2);
    CHECK(femtocwmp_agent_set_ipsec_address(agent, S("172.16.8.8"), 3) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 3);
    CHECK(loads == 3 && stores == 3);
    /* the HeMS keeps nothing in memory: the old address came from the C side's store */
    CHECK(strstr(last_ipsec_json, "\"old\":\"172.16.7.7\"") && strstr(last_ipsec_json, "\"new\":\"172.16.8.8\""));
    femtocwmp_hems_free(hems);
    femtocwmp_agent_free(agent);
}

/* Write before send: each response follows the write of what it acknowledges, and the
 * device's events come inside those writes; a keyed submission runs once. */
static void persist_before_send(void) {
    femtocwmp_femtocell cell = {
        .device_id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("C1")},
        .acs_url = STR("http://hems/cwmp"),
        .connection_request_url = STR("http://10.0.0.9:7547/cr"),
        .software_version = STR("1.0"),
        .ipsec_address = STR("172.16.0.10"),
        .connection_request_password = STR(""),
    };
    femtocwmp_agent *agent = NULL;
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_agent_new_femtocell(&cell, 0, &agent) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_new(S("{\"persist_changes\":true}"), &hems) == FEMTOCWMP_RESULT_OK);
    const char *spv = "{\"ConfigureBySetParameterValues\":{\"params\":[{\"name\":"
                      "\"Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID\","
                      "\"type\":\"unsignedInt\",\"value\":\"7\"}],\"parameter_key\":\"k\"}}";
    uint64_t id = 0, again = 0;
    CHECK(femtocwmp_hems_submit_keyed_json(hems, S(KEY), S("script:1"), S(spv), 0, &id) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_submit_keyed_json(hems, S(KEY), S("script:1"), S(spv), 0, &again) == FEMTOCWMP_RESULT_OK);
    CHECK(again == id);
    last_procedure = id;
    trail_len = 0;
    stores = 0;
    run(agent, hems, 1);
    /* a Persist before the first response, no device event outside a Persist */
    CHECK(trail[0] == 'P' && strchr(trail, 'T') != NULL && strchr(trail, 'E') == NULL);
    CHECK(stores >= 2);
    value_is(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID", "7");
    /* the last write: nothing queued, the key remembered, the finished event in it */
    CHECK(strstr((const char *)store, "\"queue\":[]") != NULL);
    CHECK(strstr((const char *)store, "\"done_keys\":[[\"script:1\"") != NULL);
    /* ids and keys survive: a new HeMS from the stored record */
    uint64_t next = 0;
    CHECK(femtocwmp_hems_next_procedure_id(hems, &next) == FEMTOCWMP_RESULT_OK && next > id);
    CHECK(femtocwmp_hems_reserve_procedure_ids(hems, 500) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_next_procedure_id(hems, &next) == FEMTOCWMP_RESULT_OK && next == 500);
    CHECK(femtocwmp_hems_import_device_as(hems, S(""), S("{}")) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    CHECK(femtocwmp_hems_import_device_as(hems, S("00A0C6-FAP-NEW"), S("{}")) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S(spv), 0, &again) == FEMTOCWMP_RESULT_OK);
    CHECK(again == 500);
    femtocwmp_hems_free(hems);
    femtocwmp_agent_free(agent);
}

/* The agent's next POST body (copied; NULL when it has none to send). */
static unsigned char *next_post(femtocwmp_agent *agent, size_t *len) {
    femtocwmp_output o;
    for (;;) {
        CHECK(femtocwmp_agent_poll_output(agent, &o) == FEMTOCWMP_RESULT_OK);
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
            *len = o.body_len;
            return copy(o.body, o.body_len);
        }
        if (o.kind != FEMTOCWMP_OUTPUT_KIND_EVENT) return NULL;
    }
}

/* A scripted HeMS message: exactly these bytes. */
#define HEMS_MSG(id, body)                                                                     \
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "           \
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soapenv:Header><cwmp:ID soapenv:mustUnderstand=" \
    "\"1\">" id "</cwmp:ID></soapenv:Header><soapenv:Body>" body "</soapenv:Body></soapenv:Envelope>"

/* TR-069 3.7.1.4: a TransferComplete that becomes ready while the empty POST is out goes in
 * a new session, opened at once and announcing it; never as a POST into the ended one. */
static void transfer_complete_during_the_empty_post(void) {
    femtocwmp_femtocell cell = {
        .device_id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("C1")},
        .acs_url = STR("http://hems/cwmp"),
        .connection_request_url = STR("http://10.0.0.9:7547/cr"),
        .software_version = STR("1.0"),
        .ipsec_address = STR("172.16.0.10"),
        .connection_request_password = STR(""),
    };
    femtocwmp_agent *agent = NULL;
    CHECK(femtocwmp_agent_new_femtocell(&cell, 0, &agent) == FEMTOCWMP_RESULT_OK);
    const char *ir = HEMS_MSG("1", "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>");
    const char *dl = HEMS_MSG("2", "<cwmp:Download><CommandKey>k1</CommandKey><FileType>3 Vendor Configuration File"
                                   "</FileType><URL>http://files/cfg.xml</URL><Username></Username><Password>"
                                   "</Password><FileSize>0</FileSize><TargetFileName></TargetFileName>"
                                   "<DelaySeconds>0</DelaySeconds><SuccessURL></SuccessURL><FailureURL>"
                                   "</FailureURL></cwmp:Download>");
    size_t len = 0;
    unsigned char *post = next_post(agent, &len); /* session 1: the boot Inform */
    CHECK(post != NULL);
    free(post);
    CHECK(femtocwmp_agent_handle_http_response(agent, 200, NULL, 0, S(ir), 1) == FEMTOCWMP_RESULT_OK);
    post = next_post(agent, &len);
    CHECK(post != NULL && len == 0);
    free(post);
    CHECK(femtocwmp_agent_handle_http_response(agent, 200, NULL, 0, S(dl), 1) == FEMTOCWMP_RESULT_OK);
    post = next_post(agent, &len);
    CHECK(post != NULL && strstr((const char *)post, "DownloadResponse") != NULL);
    free(post);
    CHECK(femtocwmp_agent_handle_http_response(agent, 204, NULL, 0, NULL, 0, 1) == FEMTOCWMP_RESULT_OK);
    CHECK(next_post(agent, &len) == NULL);
    /* session 2 (a value change): its empty POST is out when the download completes */
    CHECK(femtocwmp_agent_set_ipsec_address(agent, S("172.16.0.77"), 2) == FEMTOCWMP_RESULT_OK);
    post = next_post(agent, &len);
    CHECK(post != NULL);
    free(post);
    CHECK(femtocwmp_agent_handle_http_response(agent, 200, NULL, 0, S(ir), 2) == FEMTOCWMP_RESULT_OK);
    post = next_post(agent, &len);
    CHECK(post != NULL && len == 0);
    free(post);
    CHECK(femtocwmp_agent_download_finished(agent, S("k1"), S(CONFIG_FILE), 0, 2) == FEMTOCWMP_RESULT_OK);
    CHECK(next_post(agent, &len) == NULL); /* nothing while the empty POST is out */
    CHECK(femtocwmp_agent_handle_http_response(agent, 204, NULL, 0, NULL, 0, 2) == FEMTOCWMP_RESULT_OK);
    post = next_post(agent, &len);
    CHECK(post != NULL && strstr((const char *)post, "<cwmp:Inform>") != NULL);
    CHECK(strstr((const char *)post, "7 TRANSFER COMPLETE") != NULL && strstr((const char *)post, "M Download") != NULL);
    free(post);
    CHECK(femtocwmp_agent_handle_http_response(agent, 200, NULL, 0, S(ir), 2) == FEMTOCWMP_RESULT_OK);
    post = next_post(agent, &len);
    CHECK(post != NULL && strstr((const char *)post, "TransferComplete") != NULL);
    free(post);
    femtocwmp_agent_free(agent);
}

int main(void) {
    /* the agent from plain C structs: no JSON anywhere */
    femtocwmp_femtocell cell = {
        .device_id = {STR("Acme"), STR("00A0C6"), STR("FAP"), STR("C1")},
        .acs_url = STR("http://hems/cwmp"),
        .connection_request_url = STR("http://10.0.0.9:7547/cr"),
        .software_version = STR("1.0"),
        .ipsec_address = STR("172.16.0.10"),
        .connection_request_password = STR(""), /* what the HeMS's default_cr_password is */
    };
    femtocwmp_agent *agent = NULL;
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_agent_new_femtocell(&cell, 0, &agent) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_new(S("{}"), &hems) == FEMTOCWMP_RESULT_OK);
    value_is(agent, "Device.DeviceInfo.SerialNumber", "C1");
    value_is(agent, "Device.FAP.Tunnel.IKESA.1.IPAddress", "172.16.0.10");

    /* the same agent from JSON */
    char femtocell[512];
    snprintf(femtocell, sizeof femtocell,
             "{\"device_id\":%s,\"acs_url\":\"http://hems/cwmp\",\"connection_request_url\":\"http://10.0.0.9:7547/cr\","
             "\"software_version\":\"1.0\",\"ipsec_address\":\"172.16.0.10\"}", DEVICE);
    char config[256];
    snprintf(config, sizeof config, "{\"device_id\":%s}", DEVICE);
    femtocwmp_agent *from_json = NULL;
    CHECK(femtocwmp_agent_new(S(config), S(femtocell), 0, &from_json) == FEMTOCWMP_RESULT_OK);
    value_is(from_json, "Device.DeviceInfo.SerialNumber", "C1");
    femtocwmp_agent_free(from_json);

    /* snapshot before send: a persisting agent hands out its state before its first POST,
     * and what it handed out is what a restart reads */
    snprintf(config, sizeof config, "{\"device_id\":%s,\"persist_state\":true}", DEVICE);
    femtocwmp_agent *persisting = NULL;
    CHECK(femtocwmp_agent_new(S(config), S(femtocell), 0, &persisting) == FEMTOCWMP_RESULT_OK);
    static uint8_t flash[65536];
    size_t flash_len = 0;
    int persisted_first = 0;
    for (;;) {
        femtocwmp_output o;
        CHECK(femtocwmp_agent_poll_output(persisting, &o) == FEMTOCWMP_RESULT_OK);
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT && o.event_kind == FEMTOCWMP_EVENT_KIND_PERSIST_STATE) {
            CHECK(femtocwmp_event_record(o.event, flash, sizeof flash, &flash_len) == FEMTOCWMP_RESULT_OK);
            continue;
        }
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
            persisted_first = flash_len > 0;
            break;
        }
        if (o.kind != FEMTOCWMP_OUTPUT_KIND_EVENT) break;
    }
    CHECK(persisted_first);
    femtocwmp_agent_free(persisting);
    femtocwmp_agent *resumed = NULL;
    CHECK(femtocwmp_agent_restore(flash, flash_len, true, 5, &resumed) == FEMTOCWMP_RESULT_OK);
    size_t post_len = 0;
    unsigned char *post = next_post(resumed, &post_len);
    CHECK(post != NULL && strstr((const char *)post, "0 BOOTSTRAP") != NULL);
    free(post);
    femtocwmp_agent_free(resumed);

    /* typed constructor errors */
    femtocwmp_agent *bad = NULL;
    femtocwmp_femtocell nameless = cell;
    nameless.device_id.serial_number = STR("");
    CHECK(femtocwmp_agent_new_femtocell(&nameless, 0, &bad) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    femtocwmp_femtocell no_hems = cell;
    no_hems.acs_url = STR("");
    CHECK(femtocwmp_agent_new_femtocell(&no_hems, 0, &bad) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    femtocwmp_femtocell not_utf8 = cell;
    not_utf8.software_version = STR("\xff");
    CHECK(femtocwmp_agent_new_femtocell(&not_utf8, 0, &bad) == FEMTOCWMP_RESULT_INVALID_UTF8);
    CHECK(femtocwmp_agent_new_femtocell(NULL, 0, &bad) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(bad == NULL);

    run(agent, hems, 1); /* registration */

    uint64_t id = 0;
    const char *spv = "{\"ConfigureBySetParameterValues\":{\"params\":[{\"name\":"
                      "\"Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID\",\"type\":\"unsignedInt\","
                      "\"value\":\"77\"}],\"parameter_key\":\"c-1\"}}";
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S(spv), 2, &id) == FEMTOCWMP_RESULT_OK);
    last_procedure = id;
    run(agent, hems, 2);
    value_is(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID", "77");
    value_is(agent, "Device.ManagementServer.ParameterKey", "c-1");

    const char *dl = "{\"ConfigureByFileDownload\":{\"url\":\"http://files/cfg.xml\",\"username\":\"\",\"password\":\"\","
                     "\"file_size\":0,\"target_file_name\":\"\",\"delay_seconds\":0,\"timeout_ms\":60000}}";
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S(dl), 3, &id) == FEMTOCWMP_RESULT_OK);
    last_procedure = id;
    run(agent, hems, 3);
    value_is(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL", "1350");

    CHECK(femtocwmp_agent_set_ipsec_address(agent, S("172.16.5.5"), 4) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 4);
    CHECK(finished_ok == 2 && finished_bad == 0);
    CHECK(ipsec_changes == 1);
    CHECK(downloads == 1 && changes >= 2);
    CHECK(reboot_flags == 3); /* PhyCellID applies at once, EARFCNDL after a reboot */

    /* the agent survives a restart through its snapshot blob */
    size_t need = 0;
    CHECK(femtocwmp_agent_snapshot(agent, NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    uint8_t *blob = malloc(need);
    size_t blob_len = 0;
    CHECK(femtocwmp_agent_snapshot(agent, blob, need, &blob_len) == FEMTOCWMP_RESULT_OK);
    femtocwmp_agent *again = NULL;
    CHECK(femtocwmp_agent_restore(blob, blob_len, true, 5, &again) == FEMTOCWMP_RESULT_OK);
    free(blob);
    value_is(again, "Device.FAP.Tunnel.IKESA.1.IPAddress", "172.16.5.5");
    femtocwmp_output o;
    CHECK(femtocwmp_agent_poll_output(again, &o) == FEMTOCWMP_RESULT_OK);
    CHECK(o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT && o.event_kind == FEMTOCWMP_EVENT_KIND_SESSION_STARTED);
    {
        const femtocwmp_message *m = NULL;
        size_t n = 0;
        int boot = 0;
        CHECK(femtocwmp_event_message(o.event, &m) == FEMTOCWMP_RESULT_OK);
        CHECK(femtocwmp_message_event_count(m, &n) == FEMTOCWMP_RESULT_OK && n >= 1);
        for (size_t i = 0; i < n; i++) {
            femtocwmp_str code, key;
            CHECK(femtocwmp_message_event(m, i, &code, &key) == FEMTOCWMP_RESULT_OK);
            if (same(code, "1 BOOT")) boot = 1;
        }
        CHECK(boot);
        char json[4096];
        size_t jl = 0;
        CHECK(femtocwmp_event_json(o.event, (uint8_t *)json, sizeof json, &jl) == FEMTOCWMP_RESULT_OK);
        CHECK(strstr(json, "\"SessionStarted\"") && strstr(json, "1 BOOT"));
        femtocwmp_str nothing;
        CHECK(femtocwmp_event_address(o.event, &nothing) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
        CHECK(femtocwmp_event_device(o.event, &nothing) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    }

    /* error paths */
    char buf[64];
    size_t len = 0;
    CHECK(femtocwmp_agent_parameter_value(agent, S("Device.Nope"), (uint8_t *)buf, sizeof buf, &len) == FEMTOCWMP_RESULT_INVALID_PARAMETER);
    CHECK(femtocwmp_agent_new(S("{\"device_idd\":1}"), S(femtocell), 0, &again) == FEMTOCWMP_RESULT_INVALID_JSON);
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S("{\"Nope\":{}}"), 5, &id) == FEMTOCWMP_RESULT_INVALID_JSON);
    CHECK(femtocwmp_agent_poll_output(NULL, &o) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_agent_restore(S("not json"), false, 0, &again) == FEMTOCWMP_RESULT_INVALID_JSON);
    uint16_t status = 0;
    char challenge[256];
    size_t clen = 0;
    CHECK(femtocwmp_agent_handle_connection_request(agent, S("POST"), NULL, 0, 6, &status, (uint8_t *)challenge, sizeof challenge, &clen) == FEMTOCWMP_RESULT_OK);
    CHECK(status == 405);

    femtocwmp_agent_free(agent);
    femtocwmp_agent_free(again);
    femtocwmp_agent_free(NULL);
    femtocwmp_hems_free(hems);
    femtocwmp_hems_free(NULL);
    hems_restart_mid_download();
    external_store();
    persist_before_send();
    transfer_complete_during_the_empty_post();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
