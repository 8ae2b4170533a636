/* A HeNB in plain C: femtocwmp's agent for the protocol, libcurl for HTTP, POSIX sockets for
 * the Connection Request listener. It boots, registers with the HeMS, and serves what the
 * HeMS asks: configuration by SetParameterValues, configuration by file download (fetched
 * with libcurl, then TransferComplete), and, on its own, the IPsec inner address change that
 * it notifies in an Inform (TS 32.593 5.1.2-5.1.4). No JSON anywhere.
 *
 *   henb_agent HEMS_URL SERIAL CR_PORT SECONDS [NEW_IPSEC_ADDRESS AT_MS]
 *
 * Prints one line per thing that happens and, at the end, the values the HeMS configured.
 * Exits non-zero if a session failed or on a local error. Build:
 *   cc -std=c99 henb_agent.c $(pkg-config --cflags --libs femtocwmp) -lcurl */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "femtocwmp.h"

#define STR(s) ((femtocwmp_str){(const uint8_t *)(s), strlen(s)})
#define MAX_HEADERS 16
#define MAX_BODY (4u << 20) /* refuse HTTP bodies above 4 MiB */

static uint64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static int check(femtocwmp_result rc, const char *what) {
    if (rc == FEMTOCWMP_RESULT_OK) return 1;
    char detail[512];
    size_t len = 0;
    if (femtocwmp_last_error(detail, sizeof detail, &len) != FEMTOCWMP_RESULT_OK) detail[0] = 0;
    fprintf(stderr, "henb: %s: %s (%s)\n", what, femtocwmp_result_message(rc), detail);
    return 0;
}

/* ------------------------------------------------------------------ HTTP with libcurl */

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int too_big;
} buffer;

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
    buffer *b = userdata;
    size_t add = size * n;
    if (b->len + add > MAX_BODY) {
        b->too_big = 1;
        return 0; /* curl aborts the transfer */
    }
    if (b->len + add > b->cap) {
        size_t cap = (b->len + add) * 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    return add;
}

/* The response headers of the last status line, as femtocwmp_header views into `store`. */
typedef struct {
    char store[MAX_HEADERS][2][512];
    femtocwmp_header list[MAX_HEADERS];
    size_t count;
} header_set;

static size_t on_header(char *p, size_t size, size_t n, void *userdata) {
    header_set *h = userdata;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) h->count = 0; /* a new response starts */
    char *colon = memchr(p, ':', len);
    if (!colon || h->count == MAX_HEADERS) return len;
    size_t nl = (size_t)(colon - p), vs = nl + 1;
    while (vs < len && p[vs] == ' ') vs++;
    size_t ve = len;
    while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n')) ve--;
    if (nl >= 512 || ve - vs >= 512) return len;
    memcpy(h->store[h->count][0], p, nl);
    memcpy(h->store[h->count][1], p + vs, ve - vs);
    h->list[h->count] = (femtocwmp_header){(const uint8_t *)h->store[h->count][0], nl,
                                           (const uint8_t *)h->store[h->count][1], ve - vs};
    h->count++;
    return len;
}

/* POSTs one CWMP message (the agent's TRANSMIT output) on the persistent connection. */
static long post(CURL *curl, const femtocwmp_output *o, buffer *body, header_set *headers) {
    struct curl_slist *list = NULL;
    int has_type = 0;
    char line[1100];
    for (size_t i = 0; i < o->header_count; i++) {
        const femtocwmp_header *h = &o->headers[i];
        snprintf(line, sizeof line, "%.*s: %.*s", (int)h->name_len, (const char *)h->name,
                 (int)h->value_len, (const char *)h->value);
        if (h->name_len == 12 && strncasecmp((const char *)h->name, "Content-Type", 12) == 0) has_type = 1;
        list = curl_slist_append(list, line);
    }
    if (!has_type) list = curl_slist_append(list, "Content-Type:"); /* the empty POST has none */
    list = curl_slist_append(list, "Expect:");
    body->len = 0;
    body->too_big = 0;
    headers->count = 0;
    curl_easy_setopt(curl, CURLOPT_URL, (const char *)o->url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)o->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)o->body_len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(list);
    long status = 0;
    if (rc != CURLE_OK) {
        fprintf(stderr, "henb: POST %s: %s\n", (const char *)o->url, curl_easy_strerror(rc));
        return 0;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* Fetches a Download's file; returns 0 or the TransferComplete fault code (TR-069 A.5.1). */
static uint32_t fetch(const char *url, const char *user, const char *password, buffer *file) {
    CURL *curl = curl_easy_init();
    if (!curl) return 9002;
    file->len = 0;
    file->too_big = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, file);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
    if (*user) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
        curl_easy_setopt(curl, CURLOPT_USERNAME, user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
    }
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) return 9015;
    if (rc != CURLE_OK) return file->too_big ? 9017 : 9010;
    if (status == 401) return 9012;
    if (status != 200) return 9016;
    return 0;
}

/* ------------------------------------------------------------------ Connection Requests */

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
        fprintf(stderr, "henb: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return -1;
    }
    return fd;
}

/* Answers one Connection Request (TR-069 3.2.2): the agent checks its Digest and, when it is
 * good, starts a session ("6 CONNECTION REQUEST"). */
static void connection_request(int listener, femtocwmp_agent *agent) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) return;
    char req[4096];
    size_t len = 0;
    while (len < sizeof req - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0) break;
        ssize_t n = read(fd, req + len, sizeof req - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        req[len] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[len] = 0;
    femtocwmp_header headers[MAX_HEADERS];
    size_t count = 0;
    char *line_end = strstr(req, "\r\n");
    char *method_end = strchr(req, ' ');
    size_t method_len = method_end ? (size_t)(method_end - req) : 0;
    for (char *line = line_end ? line_end + 2 : NULL; line && count < MAX_HEADERS;) {
        char *end = strstr(line, "\r\n");
        if (!end || end == line) break;
        char *colon = memchr(line, ':', (size_t)(end - line));
        if (colon) {
            char *v = colon + 1;
            while (*v == ' ') v++;
            headers[count++] = (femtocwmp_header){(const uint8_t *)line, (size_t)(colon - line),
                                                  (const uint8_t *)v, (size_t)(end - v)};
        }
        line = end + 2;
    }
    uint16_t status = 400;
    char challenge[512] = "";
    size_t clen = 0;
    if (!check(femtocwmp_agent_handle_connection_request(agent, (const uint8_t *)req, method_len, headers, count,
                                                        now_ms(), &status, (uint8_t *)challenge,
                                                        sizeof challenge, &clen),
               "connection request"))
        status = 400;
    char reply[700];
    int n = snprintf(reply, sizeof reply, "HTTP/1.1 %u %s\r\nContent-Length: 0\r\nConnection: close\r\n%s%s%s\r\n",
                     status, status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Error",
                     status == 401 ? "WWW-Authenticate: " : "", status == 401 ? challenge : "",
                     status == 401 ? "\r\n" : "");
    if (n > 0 && write(fd, reply, (size_t)n) < 0) perror("henb: connection request reply");
    close(fd);
    printf("connection request: %u\n", status);
}

/* ------------------------------------------------------------------ the HeNB */

static const char *SNAPSHOT = "henb-agent.snapshot"; /* the "flash" */

/* Reboot: store the agent, drop it, boot again from the stored blob. */
static femtocwmp_agent *reboot(femtocwmp_agent *agent) {
    size_t need = 0, len = 0;
    if (femtocwmp_agent_snapshot(agent, NULL, 0, &need) != FEMTOCWMP_RESULT_INSUFFICIENT_SIZE) return agent;
    uint8_t *blob = malloc(need);
    femtocwmp_agent *again = NULL;
    if (blob && check(femtocwmp_agent_snapshot(agent, blob, need, &len), "snapshot")) {
        FILE *f = fopen(SNAPSHOT, "wb");
        if (f) {
            fwrite(blob, 1, len, f);
            fclose(f);
        }
        if (check(femtocwmp_agent_restore(blob, len, true, now_ms(), &again), "restore")) {
            femtocwmp_agent_free(agent);
            agent = again;
            printf("rebooted\n");
        }
    }
    free(blob);
    return agent;
}

static void copy_str(char *dst, size_t cap, femtocwmp_str s) {
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n) memcpy(dst, s.data, n);
    dst[n] = 0;
}

static void print_value(femtocwmp_agent *agent, const char *name) {
    char value[256];
    size_t len = 0;
    if (femtocwmp_agent_parameter_value(agent, (const uint8_t *)name, strlen(name), (uint8_t *)value, sizeof value,
                                        &len) == FEMTOCWMP_RESULT_OK)
        printf("value %s = %s\n", name, value);
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 7) {
        fprintf(stderr, "usage: %s HEMS_URL SERIAL CR_PORT SECONDS [NEW_IPSEC_ADDRESS AT_MS]\n", argv[0]);
        return 2;
    }
    const char *hems_url = argv[1], *serial = argv[2];
    int port = atoi(argv[3]);
    uint64_t start = now_ms(), stop = start + (uint64_t)atoi(argv[4]) * 1000u;
    const char *new_ipsec = argc == 7 ? argv[5] : NULL;
    uint64_t ipsec_at = argc == 7 ? start + (uint64_t)atoll(argv[6]) : 0;

    int listener = listen_on(port);
    if (listener < 0) return 1;
    char cr_url[64];
    snprintf(cr_url, sizeof cr_url, "http://127.0.0.1:%d/cr", port);
    /* the device's secrets, from its secure storage; here from the environment */
    const char *password = getenv("HENB_PASSWORD"), *cr_password = getenv("HENB_CR_PASSWORD");
    femtocwmp_femtocell cell = {
        .device_id = {STR("Acme Small Cells"), STR("00A0C6"), STR("FAP"), STR(serial)},
        .acs_url = STR(hems_url),
        .connection_request_url = STR(cr_url),
        .software_version = STR("1.0.0"),
        .ipsec_address = STR("172.16.0.10"),
        .password = password ? STR(password) : (femtocwmp_str){NULL, 0},
        .connection_request_password = cr_password ? STR(cr_password) : (femtocwmp_str){NULL, 0},
    };
    femtocwmp_agent *agent = NULL;
    if (!check(femtocwmp_agent_new_femtocell(&cell, now_ms(), &agent), "agent")) return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init(); /* one handle: the session stays on one connection */
    buffer body = {0}, file = {0};
    header_set *headers = calloc(1, sizeof *headers);
    int failed_sessions = 0, ok_sessions = 0, rc = 0;
    uint64_t deadline = UINT64_MAX;

    while (now_ms() < stop && rc == 0) {
        femtocwmp_output o;
        if (!check(femtocwmp_agent_poll_output(agent, &o), "poll")) { rc = 1; break; }
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_TRANSMIT) {
            long status = post(curl, &o, &body, headers);
            femtocwmp_result r = status ? femtocwmp_agent_handle_http_response(agent, (uint16_t)status, headers->list,
                                                                             headers->count, body.data, body.len, now_ms())
                                        : femtocwmp_agent_handle_transport_failed(agent, now_ms());
            if (r != FEMTOCWMP_RESULT_OK && r != FEMTOCWMP_RESULT_REMOTE_PROTOCOL_ERROR && !check(r, "response")) rc = 1;
            continue;
        }
        if (o.kind == FEMTOCWMP_OUTPUT_KIND_EVENT) {
            bool ok = false;
            switch (o.event_kind) {
            case FEMTOCWMP_EVENT_KIND_SESSION_STARTED:
                printf("session started\n");
                break;
            case FEMTOCWMP_EVENT_KIND_SESSION_ENDED:
                if (femtocwmp_event_succeeded(o.event, &ok) == FEMTOCWMP_RESULT_OK && ok) ok_sessions++;
                else failed_sessions++;
                printf("session ended: %s\n", ok ? "completed" : "failed");
                break;
            case FEMTOCWMP_EVENT_KIND_PARAMETERS_CHANGED: {
                size_t n = 0;
                bool reboot_needed = false;
                femtocwmp_str name;
                if (femtocwmp_event_changed_count(o.event, &n, &reboot_needed) != FEMTOCWMP_RESULT_OK) break;
                for (size_t i = 0; i < n; i++)
                    if (femtocwmp_event_changed_name(o.event, i, &name) == FEMTOCWMP_RESULT_OK)
                        printf("changed %.*s%s\n", (int)name.len, (const char *)name.data,
                               reboot_needed ? " (after reboot)" : "");
                break;
            }
            case FEMTOCWMP_EVENT_KIND_DOWNLOAD_REQUESTED: {
                const femtocwmp_message *m = NULL;
                femtocwmp_download d;
                if (!check(femtocwmp_event_message(o.event, &m), "download") ||
                    !check(femtocwmp_message_download(m, &d), "download")) { rc = 1; break; }
                char key[256], url[1024], user[256], password[256]; /* copied: o borrows */
                copy_str(key, sizeof key, d.command_key);
                copy_str(url, sizeof url, d.url);
                copy_str(user, sizeof user, d.username);
                copy_str(password, sizeof password, d.password);
                uint32_t fault = fetch(url, user, password, &file);
                printf("download %s: %s (%zu bytes)\n", url, fault ? "failed" : "fetched", fault ? 0 : file.len);
                if (!check(femtocwmp_agent_download_finished(agent, (const uint8_t *)key, strlen(key),
                                                             fault ? NULL : file.data, fault ? 0 : file.len, fault,
                                                             now_ms()),
                           "download finished"))
                    rc = 1;
                break;
            }
            case FEMTOCWMP_EVENT_KIND_REBOOT_REQUESTED:
                agent = reboot(agent);
                break;
            default:
                break;
            }
            continue;
        }
        /* TIMEOUT or IDLE: wait for the deadline, a Connection Request, or our own change */
        deadline = o.kind == FEMTOCWMP_OUTPUT_KIND_TIMEOUT ? o.timeout_ms : UINT64_MAX;
        uint64_t t = now_ms(), until = deadline < stop ? deadline : stop;
        if (new_ipsec && ipsec_at < until) until = ipsec_at > t ? ipsec_at : t;
        struct pollfd p = {listener, POLLIN, 0};
        int ready = poll(&p, 1, until > t ? (int)(until - t) : 0);
        if (ready > 0) connection_request(listener, agent);
        if (new_ipsec && now_ms() >= ipsec_at) {
            printf("ipsec address -> %s\n", new_ipsec);
            if (!check(femtocwmp_agent_set_ipsec_address(agent, (const uint8_t *)new_ipsec, strlen(new_ipsec), now_ms()),
                       "ipsec"))
                rc = 1;
            new_ipsec = NULL;
        }
        if (now_ms() >= deadline && !check(femtocwmp_agent_handle_timeout(agent, now_ms()), "timeout")) rc = 1;
    }

    print_value(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID");
    print_value(agent, "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL");
    print_value(agent, "Device.FAP.Tunnel.IKESA.1.IPAddress");
    printf("sessions: %d completed, %d failed\n", ok_sessions, failed_sessions);
    femtocwmp_agent_free(agent);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    free(body.data);
    free(file.data);
    free(headers);
    close(listener);
    remove(SNAPSHOT);
    return rc ? rc : (failed_sessions || !ok_sessions) ? 1 : 0;
}
