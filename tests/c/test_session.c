/* A HeNB and a HeMS in memory through the C ABI: the Pair flow of the session tests, plus
 * error paths (NULL handles, bad JSON, wrong state). Built with -Wall -Wextra -Werror -std=c99. */
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

static const char *CPE_CONFIG = "{\"acs_url\":\"http://hems/cwmp\"}";
static const char *INFORM =
    "{\"device_id\":{\"manufacturer\":\"Acme\",\"oui\":\"00A0C6\",\"product_class\":\"FAP\","
    "\"serial_number\":\"S1\"},\"events\":[{\"event_code\":\"1 BOOT\",\"command_key\":\"\"}],"
    "\"current_time\":\"2026-12-01T10:00:00Z\"}";
static const char *SPV =
    "{\"method\":\"SetParameterValues\",\"parameter_list\":[{\"name\":"
    "\"Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL\",\"type\":\"unsignedInt\","
    "\"value\":\"1350\"}],\"parameter_key\":\"cfg-1\"}";
static const char *SPV_RESPONSE = "{\"method\":\"SetParameterValuesResponse\",\"status\":0}";

static int contains(const unsigned char *b, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, needle, k) == 0) return 1;
    return 0;
}

static void pair_flow(void) {
    femtocwmp_cpe_session *cpe = NULL;
    femtocwmp_acs_session *acs = NULL;
    uint64_t now = 0, tc_id = 0;
    int informed = 0, spv_answered = 0, cpe_ended_ok = 0, acs_ended_ok = 0, posts = 0;
    CHECK(femtocwmp_cpe_session_new(S(CPE_CONFIG), S(INFORM), now, &cpe) == FEMTOCWMP_RESULT_OK);
    const char *tc = "{\"method\":\"TransferComplete\",\"command_key\":\"k\",\"fault_struct\":"
                     "{\"fault_code\":0,\"fault_string\":\"\"}}";
    CHECK(femtocwmp_cpe_session_request_json(cpe, S(tc), &tc_id) == FEMTOCWMP_RESULT_OK);

    for (int round = 0; round < 20; round++) {
        message post = {0}, resp = {0};
        femtocwmp_output o;
        for (;;) { /* drain the CPE */
            CHECK(femtocwmp_cpe_session_poll_output(cpe, &o) == FEMTOCWMP_RESULT_OK);
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                CHECK(strcmp((const char *)o.url, "http://hems/cwmp") == 0);
                keep(&post, &o);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_REQUEST) {
                    CHECK(strstr(event_json(&o), "\"Request\"") && strstr(event_json(&o), "SetParameterValues"));
                    CHECK(femtocwmp_cpe_session_respond_json(cpe, (uint64_t)event_id(&o), S(SPV_RESPONSE), now) == FEMTOCWMP_RESULT_OK);
                    spv_answered = 1;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_ENDED && strstr(event_json(&o), "\"Completed\""))
                    cpe_ended_ok = 1;
            } else {
                break;
            }
        }
        if (!post.present) break;
        posts++;
        now++;
        if (!acs) {
            femtocwmp_accepted *a = NULL;
            CHECK(femtocwmp_acceptor_accept(post.headers, post.header_count, post.body, post.body_len, now, &a) == FEMTOCWMP_RESULT_OK);
            size_t need = 0;
            CHECK(femtocwmp_accepted_inform_json(a, NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
            char *inform = malloc(need);
            CHECK(femtocwmp_accepted_inform_json(a, (uint8_t *)inform, need, &need) == FEMTOCWMP_RESULT_OK);
            CHECK(strstr(inform, "\"serial_number\":\"S1\"") != NULL);
            free(inform);
            CHECK(femtocwmp_accepted_into_session(a, S("{\"rng_seed\":7}"), &acs) == FEMTOCWMP_RESULT_OK);
        } else {
            CHECK(femtocwmp_acs_session_handle_http_request(acs, post.headers, post.header_count, post.body, post.body_len, now) == FEMTOCWMP_RESULT_OK);
        }
        for (;;) { /* drain the HeMS */
            CHECK(femtocwmp_acs_session_poll_output(acs, &o) == FEMTOCWMP_RESULT_OK);
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                keep(&resp, &o);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_INFORMED) {
                    CHECK(strstr(event_json(&o), "\"Informed\"") != NULL);
                    uint64_t id = 0;
                    CHECK(femtocwmp_acs_session_queue_json(acs, S(SPV), now, &id) == FEMTOCWMP_RESULT_OK);
                    informed = 1;
                }
                if (o.event_kind == FEMTOCWMP_EVENT_KIND_ENDED && strstr(event_json(&o), "\"Completed\""))
                    acs_ended_ok = 1;
            } else {
                break;
            }
        }
        /* park the HeMS session as a blob and resume it, as a clustered HeMS would */
        size_t need = 0;
        CHECK(femtocwmp_acs_session_park(acs, NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
        uint8_t *blob = malloc(need);
        size_t blob_len = 0;
        CHECK(femtocwmp_acs_session_park(acs, blob, need, &blob_len) == FEMTOCWMP_RESULT_OK);
        femtocwmp_acs_session *resumed = NULL;
        CHECK(femtocwmp_acs_session_resume(blob, blob_len, S("{\"rng_seed\":7}"), &resumed) == FEMTOCWMP_RESULT_OK);
        free(blob);
        femtocwmp_acs_session_free(acs);
        acs = resumed;

        CHECK(resp.present);
        now++;
        CHECK(femtocwmp_cpe_session_handle_http_response(cpe, resp.status, resp.headers, resp.header_count, resp.body, resp.body_len, now) == FEMTOCWMP_RESULT_OK);
        if (resp.status == 204) CHECK(resp.body_len == 0);
        if (posts == 2) CHECK(contains(post.body, post.body_len, "cwmp:TransferComplete"));
    }
    CHECK(femtocwmp_acs_session_handle_connection_closed(acs, now) == FEMTOCWMP_RESULT_OK);
    femtocwmp_output o;
    for (;;) {
        CHECK(femtocwmp_acs_session_poll_output(acs, &o) == FEMTOCWMP_RESULT_OK);
        if (o.kind != FEMTOCWMP_OUTPUT_KIND_EVENT) break;
        if (strstr(event_json(&o), "\"Completed\"")) acs_ended_ok = 1;
    }
    CHECK(posts == 4); /* Inform, TransferComplete, empty, SetParameterValuesResponse */
    CHECK(informed && spv_answered && cpe_ended_ok && acs_ended_ok);
    femtocwmp_cpe_session_free(cpe);
    femtocwmp_acs_session_free(acs);
}

static void error_paths(void) {
    femtocwmp_cpe_session *cpe = NULL;
    femtocwmp_output o;
    uint64_t id = 0;
    CHECK(femtocwmp_cpe_session_new(S("{\"acs_urll\":1}"), S(INFORM), 0, &cpe) == FEMTOCWMP_RESULT_INVALID_JSON);
    CHECK(cpe == NULL);
    CHECK(femtocwmp_cpe_session_new(S(CPE_CONFIG), S(INFORM), 0, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_cpe_session_poll_output(NULL, &o) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_cpe_session_new(S(CPE_CONFIG), S(INFORM), 0, &cpe) == FEMTOCWMP_RESULT_OK);
    CHECK(femtocwmp_cpe_session_poll_output(cpe, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    /* an ACS method is no CPE request: local error, the session goes on */
    CHECK(femtocwmp_cpe_session_request_json(cpe, S(SPV), &id) == FEMTOCWMP_RESULT_LOCAL_PROTOCOL_ERROR);
    CHECK(femtocwmp_cpe_session_respond_json(cpe, 42, S(SPV_RESPONSE), 0) == FEMTOCWMP_RESULT_LOCAL_PROTOCOL_ERROR);
    CHECK(femtocwmp_cpe_session_poll_output(cpe, &o) == FEMTOCWMP_RESULT_OK && o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT);
    CHECK(femtocwmp_cpe_session_poll_output(cpe, &o) == FEMTOCWMP_RESULT_OK && o.kind == FEMTOCWMP_OUTPUT_KIND_TIMEOUT);
    CHECK(o.timeout_ms == 30000);
    /* garbage from the "ACS": a decode error, sticky */
    CHECK(femtocwmp_cpe_session_handle_http_response(cpe, 200, NULL, 0, (const uint8_t *)"<oops", 5, 1) == FEMTOCWMP_RESULT_DECODE_XML);
    CHECK(femtocwmp_cpe_session_handle_timeout(cpe, 2) == FEMTOCWMP_RESULT_DECODE_XML);
    /* headers with a NULL array but a count */
    CHECK(femtocwmp_cpe_session_handle_http_response(cpe, 200, NULL, 3, NULL, 0, 1) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    femtocwmp_cpe_session_free(cpe);
    femtocwmp_cpe_session_free(NULL);
    femtocwmp_acs_session_free(NULL);
    femtocwmp_accepted_free(NULL);

    /* the first POST of a HeMS session must be an Inform */
    femtocwmp_accepted *a = NULL;
    const char *not_inform = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                             "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soapenv:Body><cwmp:GetRPCMethods/>"
                             "</soapenv:Body></soapenv:Envelope>";
    CHECK(femtocwmp_acceptor_accept(NULL, 0, S(not_inform), 0, &a) == FEMTOCWMP_RESULT_REMOTE_PROTOCOL_ERROR);
    CHECK(a == NULL);
    CHECK(femtocwmp_acs_session_resume(S("{}"), S("{}"), NULL) == FEMTOCWMP_RESULT_INVALID_JSON);
}

int main(void) {
    pair_flow();
    error_paths();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
