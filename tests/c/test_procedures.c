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

static int finished_ok = 0, finished_bad = 0, ipsec_changes = 0;

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
                unsigned char *body = copy(o.body, o.body_len);
                uint16_t status = o.http_status;
                size_t len = o.body_len;
                CHECK(femtocwmp_agent_handle_http_response(agent, status, NULL, 0, body, len, now) == FEMTOCWMP_RESULT_OK);
                free(body);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                moved = 1;
                const char *e = (const char *)o.event_json;
                if (strstr(e, "\"ConnectionRequest\"")) {
                    uint16_t status = 0;
                    CHECK(femtocwmp_agent_handle_connection_request(agent, S("GET"), NULL, 0, now, &status, NULL, 0, NULL) == FEMTOCWMP_RESULT_OK);
                    CHECK(status == 200);
                }
                if (strstr(e, "\"ProcedureFinished\"")) {
                    if (strstr(e, "\"Success\"")) finished_ok++;
                    else finished_bad++;
                }
                if (strstr(e, "\"IpsecAddressChanged\"") && strstr(e, "172.16.5.5")) ipsec_changes++;
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
                const char *e = (const char *)o.event_json;
                if (strstr(e, "\"DownloadRequested\"")) {
                    const char *k = strstr(e, "\"command_key\":\"");
                    CHECK(k != NULL);
                    char key[64] = {0};
                    if (k) sscanf(k + 15, "%63[^\"]", key);
                    CHECK(femtocwmp_agent_download_finished(agent, S(key), S(CONFIG_FILE), 0, now) == FEMTOCWMP_RESULT_OK);
                }
                if (strstr(e, "\"SessionEnded\"")) {
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

int main(void) {
    char femtocell[512];
    snprintf(femtocell, sizeof femtocell,
             "{\"device_id\":%s,\"acs_url\":\"http://hems/cwmp\",\"connection_request_url\":\"http://10.0.0.9:7547/cr\","
             "\"software_version\":\"1.0\",\"ipsec_address\":\"172.16.0.10\"}", DEVICE);
    char config[256];
    snprintf(config, sizeof config, "{\"device_id\":%s}", DEVICE);
    femtocwmp_agent *agent = NULL;
    femtocwmp_hems *hems = NULL;
    CHECK(femtocwmp_agent_new(S(config), S(femtocell), 0, &agent) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_hems_new(S("{}"), &hems) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 1); /* registration */

    uint64_t id = 0;
    const char *spv = "{\"ConfigureBySetParameterValues\":{\"params\":[{\"name\":"
                      "\"Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID\",\"type\":\"unsignedInt\","
                      "\"value\":\"77\"}],\"parameter_key\":\"c-1\"}}";
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S(spv), 2, &id) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 2);
    value_is(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID", "77");
    value_is(agent, "Device.ManagementServer.ParameterKey", "c-1");

    const char *dl = "{\"ConfigureByFileDownload\":{\"url\":\"http://files/cfg.xml\",\"username\":\"\",\"password\":\"\","
                     "\"file_size\":0,\"target_file_name\":\"\",\"delay_seconds\":0,\"timeout_ms\":60000}}";
    CHECK(femtocwmp_hems_submit_json(hems, S(KEY), S(dl), 3, &id) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 3);
    value_is(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL", "1350");

    CHECK(femtocwmp_agent_set_ipsec_address(agent, S("172.16.5.5"), 4) == FEMTOCWMP_RESULT_OK);
    run(agent, hems, 4);
    CHECK(finished_ok == 2 && finished_bad == 0);
    CHECK(ipsec_changes == 1);

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
    CHECK(o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT && strstr((const char *)o.event_json, "1 BOOT") != NULL);

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
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
