/* C tests of the codec ABI: decode every corpus file given on the command line to JSON,
 * encode it back, and exercise every error path (NULL pointers, short buffers, bad input).
 * Built with -Wall -Wextra -Werror -std=c99 (and ASan/UBSan, valgrind) by `make test-c`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "femtocwmp.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                         \
    do {                                                                    \
        checks++;                                                           \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                   \
    } while (0)

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static char *last_error(void) {
    static char buf[512];
    size_t len = 0;
    if (femtocwmp_last_error(buf, sizeof buf, &len) != FEMTOCWMP_RESULT_OK) strcpy(buf, "?");
    return buf;
}

/* Decode with the size query, then encode the JSON back and decode that again. */
static void round_trip(const char *path) {
    size_t xml_len = 0;
    unsigned char *xml = read_file(path, &xml_len);
    CHECK(xml != NULL);
    if (!xml) return;
    size_t need = 0;
    femtocwmp_result rc = femtocwmp_decode_json(xml, xml_len, NULL, 0, &need);
    int bogus = strstr(path, "bogus") != NULL;
    if (bogus) {
        CHECK(rc == FEMTOCWMP_RESULT_DECODE_XML);
        CHECK(strstr(last_error(), "byte") != NULL);
        free(xml);
        return;
    }
    CHECK(rc == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    unsigned char *json = malloc(need);
    size_t json_len = 0;
    rc = femtocwmp_decode_json(xml, xml_len, json, need, &json_len);
    CHECK(rc == FEMTOCWMP_RESULT_OK);
    CHECK(json_len + 1 == need);
    CHECK(json[json_len] == '\0');
    CHECK(strstr((char *)json, "\"method\":") != NULL);

    size_t out_need = 0;
    rc = femtocwmp_encode_json(json, json_len, NULL, 0, &out_need);
    CHECK(rc == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    unsigned char *out = malloc(out_need);
    size_t out_len = 0;
    rc = femtocwmp_encode_json(json, json_len, out, out_need, &out_len);
    CHECK(rc == FEMTOCWMP_RESULT_OK);
    CHECK(out_len > 0 && memcmp(out, "<?xml", 5) == 0);

    size_t again_need = 0;
    rc = femtocwmp_decode_json(out, out_len, NULL, 0, &again_need);
    CHECK(rc == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    free(out);
    free(json);
    free(xml);
}

static void error_paths(void) {
    unsigned char buf[4096];
    size_t len = 12345;

    /* NULL pointers */
    CHECK(femtocwmp_decode_json(NULL, 10, buf, sizeof buf, &len) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_decode_json((const uint8_t *)"", 0, buf, sizeof buf, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);
    CHECK(femtocwmp_encode_json(NULL, 3, buf, sizeof buf, &len) == FEMTOCWMP_RESULT_NULL_PARAMETER);

    /* empty input is the empty message, both ways */
    CHECK(femtocwmp_decode_json(NULL, 0, buf, sizeof buf, &len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr((char *)buf, "\"method\":\"Empty\"") != NULL);
    const char *empty = "{\"version\":\"1.2\",\"body\":{\"method\":\"Empty\"}}";
    CHECK(femtocwmp_encode_json((const uint8_t *)empty, strlen(empty), buf, sizeof buf, &len) == FEMTOCWMP_RESULT_OK);
    CHECK(len == 0 && buf[0] == '\0');

    /* short buffer: size reported, buffer and other outputs untouched */
    const char *reboot = "{\"version\":\"1.0\",\"body\":{\"method\":\"Reboot\",\"command_key\":\"k\"}}";
    memset(buf, 'x', sizeof buf);
    CHECK(femtocwmp_encode_json((const uint8_t *)reboot, strlen(reboot), buf, 8, &len) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    CHECK(len > 8 && buf[0] == 'x');
    CHECK(femtocwmp_encode_json((const uint8_t *)reboot, strlen(reboot), buf, len, &len) == FEMTOCWMP_RESULT_OK);
    CHECK(strstr((char *)buf, "<cwmp:Reboot><CommandKey>k</CommandKey></cwmp:Reboot>") != NULL);

    /* bad JSON, bad UTF-8, wrong fields */
    CHECK(femtocwmp_encode_json((const uint8_t *)"{", 1, buf, sizeof buf, &len) == FEMTOCWMP_RESULT_INVALID_JSON);
    CHECK(strlen(last_error()) > 0);
    const char *typo = "{\"version\":\"1.0\",\"body\":{\"method\":\"Reboot\",\"comand_key\":\"k\"}}";
    CHECK(femtocwmp_encode_json((const uint8_t *)typo, strlen(typo), buf, sizeof buf, &len) == FEMTOCWMP_RESULT_INVALID_JSON);
    CHECK(strstr(last_error(), "comand_key") != NULL);
    const unsigned char bad_utf8[] = {'{', 0xff, '}'};
    CHECK(femtocwmp_encode_json(bad_utf8, sizeof bad_utf8, buf, sizeof buf, &len) == FEMTOCWMP_RESULT_INVALID_UTF8);

    /* hostile XML */
    const char *dtd = "<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>";
    CHECK(femtocwmp_decode_json((const uint8_t *)dtd, strlen(dtd), buf, sizeof buf, &len) == FEMTOCWMP_RESULT_DECODE_FORBIDDEN);
    const char *html = "<html/>";
    CHECK(femtocwmp_decode_json((const uint8_t *)html, strlen(html), buf, sizeof buf, &len) == FEMTOCWMP_RESULT_DECODE_NOT_SOAP);
    CHECK(strstr(last_error(), "html") != NULL);

    /* messages for every code, and for unknown ones */
    CHECK(strcmp(femtocwmp_result_message(FEMTOCWMP_RESULT_OK), "success") == 0);
    CHECK(strlen(femtocwmp_result_message(FEMTOCWMP_RESULT_DECODE_LIMIT_EXCEEDED)) > 0);
    CHECK(strstr(femtocwmp_result_message(424242), "unknown") != NULL);

    /* last_error size query */
    size_t need = 0;
    CHECK(femtocwmp_last_error(NULL, 0, &need) == FEMTOCWMP_RESULT_INSUFFICIENT_SIZE);
    CHECK(need >= 1);
    CHECK(femtocwmp_last_error((char *)buf, sizeof buf, NULL) == FEMTOCWMP_RESULT_NULL_PARAMETER);

    CHECK(strncmp(femtocwmp_version(), "femtocwmp-c/" FEMTOCWMP_VERSION, 12 + strlen(FEMTOCWMP_VERSION)) == 0);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) round_trip(argv[i]);
    error_paths();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
