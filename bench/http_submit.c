/* http_submit: N single messages submitted to smsmuxd (POST /v1/messages,
 * JSON, Bearer key) or to a Kannel-style /cgi-bin/sendsms (GET), by C
 * threads with one keep-alive libcurl handle each, every request timed.
 * Prints one line:
 *   http_submit N=... c=... ok=... seconds=... rate=... p50_ms=... p99_ms=... max_ms=...
 *
 * usage: http_submit [-k] URL KEY N CONCURRENCY
 *   URL  http://HOST:PORT/v1/messages, or with -k .../cgi-bin/sendsms;
 *        several, comma-separated: client thread k uses URL k modulo
 *        their number (a load balancer's share of connections, as for
 *        several smsmuxd nodes: bench/nodes.sh)
 *   KEY  the Bearer key; with -k USER:PASSWORD
 * Message i (0-based) says "Bonjour i" to 336 followed by 10000000 + i.
 * Success: 202. */
#include <curl/curl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_URLS 16
static const char *key;
static char *urls[MAX_URLS];
static unsigned long n_urls, next_thread;
static int kannel;
static char kuser[128], kpass[128];
static unsigned long total, next_i, ok_count;
static double *lat_ms;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t discard(char *p, size_t size, size_t n, void *u) {
  (void)p;
  (void)u;
  return size * n;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg) {
  CURL *h = curl_easy_init();
  struct curl_slist *hdr = NULL;
  char auth[512], body[256], full[1024];
  unsigned long ok = 0;
  const char *url;
  (void)arg;
  pthread_mutex_lock(&lock);
  url = urls[next_thread++ % n_urls];
  pthread_mutex_unlock(&lock);
  if (!kannel) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    hdr = curl_slist_append(hdr, auth);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  for (;;) {
    unsigned long i;
    long status = 0;
    double t0;
    pthread_mutex_lock(&lock);
    i = next_i++;
    pthread_mutex_unlock(&lock);
    if (i >= total)
      break;
    if (kannel) {
      snprintf(full, sizeof full,
               "%s?username=%s&password=%s&to=336%08lu&text=Bonjour+%lu", url,
               kuser, kpass, 10000000 + i, i);
      curl_easy_setopt(h, CURLOPT_URL, full);
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      snprintf(body, sizeof body,
               "{\"to\":\"+336%08lu\",\"text\":\"Bonjour %lu\"}",
               10000000 + i, i);
      curl_easy_setopt(h, CURLOPT_URL, url);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    t0 = now();
    if (curl_easy_perform(h) == CURLE_OK)
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    lat_ms[i] = (now() - t0) * 1000;
    if (status == 202)
      ok++;
  }
  pthread_mutex_lock(&lock);
  ok_count += ok;
  pthread_mutex_unlock(&lock);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  unsigned long c, i;
  pthread_t *t;
  double t0, secs;
  int a = 1;
  if (argc > 1 && strcmp(argv[1], "-k") == 0) {
    kannel = 1;
    a++;
  }
  if (argc - a != 4) {
    fprintf(stderr, "usage: http_submit [-k] URL KEY N CONCURRENCY\n");
    return 2;
  }
  for (n_urls = 0; n_urls < MAX_URLS;) {
    char *u = strtok(n_urls ? NULL : argv[a], ",");
    if (!u)
      break;
    urls[n_urls++] = u;
  }
  if (!n_urls)
    return 2;
  key = argv[a + 1];
  total = strtoul(argv[a + 2], NULL, 10);
  c = strtoul(argv[a + 3], NULL, 10);
  if (kannel && sscanf(key, "%127[^:]:%127s", kuser, kpass) != 2) {
    fprintf(stderr, "http_submit: -k wants USER:PASSWORD\n");
    return 2;
  }
  if (!total || !c || c > 1024)
    return 2;
  lat_ms = calloc(total, sizeof *lat_ms);
  t = calloc(c, sizeof *t);
  if (!lat_ms || !t)
    return 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  t0 = now();
  for (i = 0; i < c; i++)
    pthread_create(&t[i], NULL, worker, NULL);
  for (i = 0; i < c; i++)
    pthread_join(t[i], NULL);
  secs = now() - t0;
  qsort(lat_ms, total, sizeof *lat_ms, cmp);
  printf("http_submit N=%lu c=%lu ok=%lu seconds=%.3f rate=%.0f p50_ms=%.2f "
         "p99_ms=%.2f max_ms=%.2f\n",
         total, c, ok_count, secs, (double)total / secs,
         lat_ms[total / 2], lat_ms[(total * 99) / 100], lat_ms[total - 1]);
  curl_global_cleanup();
  free(lat_ms);
  free(t);
  return ok_count == total ? 0 : 1;
}
