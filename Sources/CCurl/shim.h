// Typed wrappers for libcurl's variadic setopt/getinfo, which Swift cannot call directly.
#ifndef WINNOW_CCURL_SHIM_H
#define WINNOW_CCURL_SHIM_H

#include <curl/curl.h>

static inline CURLcode winnow_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode winnow_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode winnow_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode winnow_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode winnow_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*winnow_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*winnow_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode winnow_curl_set_write_callback(CURL *h, winnow_curl_data_callback f) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode winnow_curl_set_header_callback(CURL *h, winnow_curl_data_callback f) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode winnow_curl_set_progress_callback(CURL *h, winnow_curl_progress_callback f) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }

typedef curl_socket_t (*winnow_curl_opensocket_callback)(void *context, curlsocktype purpose, struct curl_sockaddr *address);
static inline CURLcode winnow_curl_set_opensocket_callback(CURL *h, winnow_curl_opensocket_callback f) { return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, f); }

typedef int (*winnow_curl_prereq_callback)(void *context, char *primary_ip, char *local_ip, int primary_port, int local_port);
static inline CURLcode winnow_curl_set_prereq_callback(CURL *h, winnow_curl_prereq_callback f) { return curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, f); }

static inline CURLcode winnow_curl_get_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode winnow_curl_get_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode winnow_curl_get_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }

#endif
