/* The session benchmark of core/benches/session.rs driven through the C ABI: complete CM
 * sessions (Inform with 40 parameters -> InformResponse -> empty POST -> SetParameterValues
 * of 10 parameters -> response -> 204), both machines, one core. Two rows: the typed API (the
 * Inform and the SetParameterValues built field by field, events switched on their kind,
 * configurations built once) and the JSON API (everything crosses as JSON). Outputs are
 * copied out of the borrowed femtocwmp_output either way. argv[1] is the Rust rate measured
 * in the same `make bench` run; the C rates are printed against it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "femtocwmp.h"
#include "message.h"

#define S(x) (const uint8_t *)(x), strlen(x)
#define OK(call)                                                                          \
    do {                                                                                  \
        femtocwmp_result rc_ = (call);                                                    \
        if (rc_ != FEMTOCWMP_RESULT_OK) {                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                 \
                    femtocwmp_result_message(rc_));                                       \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static const char *CPE_CONFIG =
    "{\"acs_url\":\"http://hems/\",\"supported_versions\":[\"1.0\",\"1.1\",\"1.2\"]}";
static const char *SPV_RESPONSE = "{\"method\":\"SetParameterValuesResponse\",\"status\":0}";
static char inform[8192], spv[4096];
static char names[50][96], values[50][12];
static femtocwmp_cpe_config *cpe_config;
static femtocwmp_acs_config *acs_config;

/* The Inform, as a C stack builds it from its own state for every session. */
static femtocwmp_message *typed_inform(void) {
    femtocwmp_message *m = NULL;
    femtocwmp_device_id id = {{(const uint8_t *)"Acme Small Cells", 16}, {(const uint8_t *)"00A0C6", 6},
                              {(const uint8_t *)"FAP-LTE-B37", 11}, {(const uint8_t *)"ACME1B37000123456", 17}};
    OK(femtocwmp_message_new(S("Inform"), &m));
    OK(femtocwmp_message_set_device_id(m, &id));
    OK(femtocwmp_message_add_event(m, S("2 PERIODIC"), S("")));
    OK(femtocwmp_message_set_current_time(m, S("2026-12-01T10:00:00Z")));
    for (int i = 0; i < 40; i++) {
        femtocwmp_param p = {{(const uint8_t *)names[i], strlen(names[i])}, {(const uint8_t *)"unsignedInt", 11},
                             {(const uint8_t *)values[i], strlen(values[i])}};
        OK(femtocwmp_message_add_param(m, &p));
    }
    return m;
}

static femtocwmp_message *typed_spv(void) {
    femtocwmp_message *m = NULL;
    OK(femtocwmp_message_new(S("SetParameterValues"), &m));
    for (int i = 40; i < 50; i++) {
        femtocwmp_param p = {{(const uint8_t *)names[i], strlen(names[i])}, {(const uint8_t *)"int", 3},
                             {(const uint8_t *)values[i], strlen(values[i])}};
        OK(femtocwmp_message_add_param(m, &p));
    }
    OK(femtocwmp_message_set_parameter_key(m, S("cfg-1")));
    return m;
}

/* One complete session; returns the number of POSTs (3 when all went as planned: Inform,
 * empty POST, SetParameterValuesResponse). */
static int session(int typed, message *post, message *resp) {
    femtocwmp_cpe_session *cpe = NULL;
    femtocwmp_acs_session *acs = NULL;
    femtocwmp_output o;
    uint64_t now = 0;
    int posts = 0;
    if (typed)
        OK(femtocwmp_cpe_session_start(cpe_config, typed_inform(), now, &cpe));
    else
        OK(femtocwmp_cpe_session_new(S(CPE_CONFIG), S(inform), now, &cpe));
    for (;;) {
        post->present = 0;
        resp->present = 0;
        for (;;) {
            OK(femtocwmp_cpe_session_poll_output(cpe, &o));
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                keep(post, &o);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind != FEMTOCWMP_EVENT_KIND_REQUEST) continue;
                if (typed) {
                    femtocwmp_message *answer = NULL;
                    uint64_t id = 0;
                    OK(femtocwmp_event_id(o.event, &id));
                    OK(femtocwmp_message_new(S("SetParameterValuesResponse"), &answer));
                    OK(femtocwmp_cpe_session_respond(cpe, id, answer, now));
                } else {
                    if (!strstr(event_json(&o), "\"Request\"")) exit(1);
                    OK(femtocwmp_cpe_session_respond_json(cpe, (uint64_t)event_id(&o),
                                                          S(SPV_RESPONSE), now));
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
            OK(femtocwmp_acceptor_accept(post->headers, post->header_count, post->body,
                                         post->body_len, now, &a));
            if (typed)
                OK(femtocwmp_accepted_start(a, acs_config, &acs));
            else
                OK(femtocwmp_accepted_into_session(a, S("{}"), &acs));
        } else {
            OK(femtocwmp_acs_session_handle_http_request(acs, post->headers, post->header_count,
                                                         post->body, post->body_len, now));
        }
        for (;;) {
            OK(femtocwmp_acs_session_poll_output(acs, &o));
            if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
                keep(resp, &o);
            } else if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
                if (o.event_kind != FEMTOCWMP_EVENT_KIND_INFORMED) continue;
                uint64_t id = 0;
                if (typed) {
                    OK(femtocwmp_acs_session_queue(acs, typed_spv(), now, &id));
                } else {
                    if (!strstr(event_json(&o), "\"Informed\"")) exit(1);
                    OK(femtocwmp_acs_session_queue_json(acs, S(spv), now, &id));
                }
            } else {
                break;
            }
        }
        if (!resp->present) {
            fprintf(stderr, "the HeMS did not answer POST %d\n", posts);
            exit(1);
        }
        now++;
        OK(femtocwmp_cpe_session_handle_http_response(cpe, resp->status, resp->headers,
                                                      resp->header_count, resp->body,
                                                      resp->body_len, now));
    }
    femtocwmp_cpe_session_free(cpe);
    femtocwmp_acs_session_free(acs);
    return posts;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double rust = argc > 1 ? strtod(argv[1], NULL) : 0.0;
    double budget = argc > 2 ? strtod(argv[2], NULL) : 3.0;
    size_t n = (size_t)snprintf(
        inform, sizeof inform,
        "{\"device_id\":{\"manufacturer\":\"Acme Small Cells\",\"oui\":\"00A0C6\","
        "\"product_class\":\"FAP-LTE-B37\",\"serial_number\":\"ACME1B37000123456\"},"
        "\"events\":[{\"event_code\":\"2 PERIODIC\",\"command_key\":\"\"}],"
        "\"current_time\":\"2026-12-01T10:00:00Z\",\"parameter_list\":[");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(inform + n, sizeof inform - n,
                              "%s{\"name\":\"Device.Services.FAPService.1.Param%d\","
                              "\"type\":\"unsignedInt\",\"value\":\"%d\"}",
                              i ? "," : "", i, i);
    snprintf(inform + n, sizeof inform - n, "]}");
    n = (size_t)snprintf(spv, sizeof spv, "{\"method\":\"SetParameterValues\",\"parameter_list\":[");
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(spv + n, sizeof spv - n,
                              "%s{\"name\":\"Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.P%d\","
                              "\"type\":\"int\",\"value\":\"%d\"}",
                              i ? "," : "", i, i);
    snprintf(spv + n, sizeof spv - n, "],\"parameter_key\":\"cfg-1\"}");

    for (int i = 0; i < 50; i++) {
        snprintf(names[i], sizeof names[i],
                 i < 40 ? "Device.Services.FAPService.1.Param%d" : "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.P%d",
                 i < 40 ? i : i - 40);
        snprintf(values[i], sizeof values[i], "%d", i < 40 ? i : i - 40);
    }
    OK(femtocwmp_cpe_config_from_json(S(CPE_CONFIG), &cpe_config));
    OK(femtocwmp_acs_config_new(&acs_config));

    message *post = malloc(sizeof *post), *resp = malloc(sizeof *resp);
    if (!post || !resp) return 1;
    if (argc > 3) { /* exactly N sessions of the API named, for callgrind instruction counts */
        long count = strtol(argv[3], NULL, 10);
        int typed = argc > 4 && strcmp(argv[4], "json") == 0 ? 0 : 1;
        for (long i = 0; i < count; i++) session(typed, post, resp);
        printf("%ld %s sessions\n", count, typed ? "typed" : "JSON");
        femtocwmp_cpe_config_free(cpe_config);
        femtocwmp_acs_config_free(acs_config);
        free(post);
        free(resp);
        return 0;
    }
    printf("complete CM sessions through the C ABI (borrowed outputs copied):\n");
    for (int typed = 1; typed >= 0; typed--) {
        int posts = session(typed, post, resp);
        if (posts != 3) {
            fprintf(stderr, "a session took %d POSTs instead of the planned three\n", posts);
            return 1;
        }
        double best = 0.0;
        for (int round = 0; round < 5; round++) { /* best of five, as the Rust bench */
            double start = seconds(), elapsed = 0.0;
            long count = 0;
            do {
                session(typed, post, resp);
                count++;
                elapsed = seconds() - start;
            } while (elapsed < budget / 10);
            if (count / elapsed > best) best = count / elapsed;
        }
        const char *row = typed ? "typed API" : "JSON API ";
        if (rust > 0)
            printf("  C ABI sessions, %s: %10.0f /s  (%.2fx the Rust rate of this run, %.0f /s; "
                   "overhead %.0f%%%s)\n",
                   row, best, best / rust, rust, (rust / best - 1.0) * 100.0,
                   typed ? ", target <= 10%" : "");
        else
            printf("  C ABI sessions, %s: %10.0f /s\n", row, best);
    }
    femtocwmp_cpe_config_free(cpe_config);
    femtocwmp_acs_config_free(acs_config);
    free(post);
    free(resp);
    return 0;
}
