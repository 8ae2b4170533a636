/* A message copied out of a borrowed femtocwmp_output (valid only until the next call on its
 * handle), for the C tests and the C bench. Header-only; include after femtocwmp.h. */
#ifndef FEMTOCWMP_TEST_MESSAGE_H
#define FEMTOCWMP_TEST_MESSAGE_H

#include <string.h>

typedef struct {
    int present;
    uint16_t status;
    femtocwmp_header headers[8];
    char header_store[8][2][256];
    size_t header_count;
    unsigned char body[65536];
    size_t body_len;
} message;

/* Copies the transmit in `o` into `m` (at most 8 headers of 255 bytes, 64 KiB of body). */
static inline void keep(message *m, const femtocwmp_output *o) {
    m->present = 1;
    m->status = o->http_status;
    m->header_count = o->header_count < 8 ? o->header_count : 8;
    for (size_t i = 0; i < m->header_count; i++) {
        size_t nl = o->headers[i].name_len < 255 ? o->headers[i].name_len : 255;
        size_t vl = o->headers[i].value_len < 255 ? o->headers[i].value_len : 255;
        memcpy(m->header_store[i][0], o->headers[i].name, nl);
        memcpy(m->header_store[i][1], o->headers[i].value, vl);
        m->headers[i].name = (const uint8_t *)m->header_store[i][0];
        m->headers[i].name_len = nl;
        m->headers[i].value = (const uint8_t *)m->header_store[i][1];
        m->headers[i].value_len = vl;
    }
    m->body_len = o->body_len < sizeof m->body ? o->body_len : sizeof m->body;
    if (m->body_len) memcpy(m->body, o->body, m->body_len);
}

/* The id of a REQUEST/RESPONSE/PROCEDURE_FINISHED event, or -1. */
static inline long event_id(const femtocwmp_output *o) {
    uint64_t id = 0;
    return femtocwmp_event_id(o->event, &id) == FEMTOCWMP_RESULT_OK ? (long)id : -1;
}

/* The JSON form of an event, in a buffer that the next call overwrites ("" on failure). */
static inline const char *event_json(const femtocwmp_output *o) {
    static char buf[65536];
    size_t len = 0;
    if (femtocwmp_event_json(o->event, (uint8_t *)buf, sizeof buf, &len) != FEMTOCWMP_RESULT_OK) buf[0] = 0;
    return buf;
}

#endif
