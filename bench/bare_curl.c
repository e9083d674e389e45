/* bare_curl: the HTTP requests smsmux makes for N single-recipient sMsmode
 * sends, made with nothing but libcurl: W threads, one reused handle each
 * (keep-alive), the same URL and query string as the smsmode plugin's
 * (GET BASE/sendSMS.do?accessToken=T&message=Bench+message&numero=336...),
 * the answer read and its code checked ("0 |").  The yardstick of the
 * benchmark.  Prints one line like bench_send's:
 *   bare_curl N=... workers=... ok=... seconds=... rate=... cpu_us=... maxrss_kb=...
 *
 * usage: bare_curl [-p] [-k] BASE_URL TOKEN N WORKERS
 *   -p  personalised: message i says "Bonjour i" (bench_send -p)
 *   -k  Kannel's sendsms instead: GET BASE_URL?username=U&password=P&to=...
 *       &text=... with TOKEN = U:P, success = HTTP 202 (bench/kannel.sh)
 * Message i (0-based) goes to 336 followed by 10000000 + i on 8 digits. */
#include <curl/curl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *base, *token;
static int personal, kannel;
static char kuser[128], kpass[128];
static unsigned long total;
static unsigned long next_i, ok_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct buf {
  char data[512];
  size_t len;
} buf;

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
  buf *b = userdata;
  size_t len = size * n, room = sizeof b->data - 1 - b->len;
  memcpy(b->data + b->len, p, len < room ? len : room);
  b->len += len < room ? len : room;
  b->data[b->len] = '\0';
  return size * n;
}

static void *worker(void *arg) {
  CURL *h = curl_easy_init();
  unsigned long ok = 0;
  char url[512], text[64];
  (void)arg;
  for (;;) {
    unsigned long i;
    buf b;
    long status = 0;
    pthread_mutex_lock(&lock);
    i = next_i++;
    pthread_mutex_unlock(&lock);
    if (i >= total)
      break;
    if (personal)
      snprintf(text, sizeof text, "Bonjour+%lu", i);
    else
      snprintf(text, sizeof text, "Bench+message");
    if (kannel)
      snprintf(url, sizeof url,
               "%s?username=%s&password=%s&to=%%2B336%08lu&text=%s", base,
               kuser, kpass, 10000000ul + i, text);
    else
      snprintf(url, sizeof url,
               "%s/sendSMS.do?accessToken=%s&message=%s&numero=336%08lu", base,
               token, text, 10000000ul + i);
    b.len = 0;
    b.data[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "smsmux/bench");
    if (curl_easy_perform(h) == CURLE_OK &&
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
        (kannel ? status == 202
                : status == 200 && strncmp(b.data, "0 |", 3) == 0))
      ok++;
  }
  curl_easy_cleanup(h);
  pthread_mutex_lock(&lock);
  ok_count += ok;
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(int argc, char **argv) {
  pthread_t th[256];
  unsigned w, i;
  struct timespec t0, t1;
  struct rusage ru;
  double secs, cpu;

  while (argc > 1 && argv[1][0] == '-') {
    if (strcmp(argv[1], "-p") == 0)
      personal = 1;
    else if (strcmp(argv[1], "-k") == 0)
      kannel = 1;
    else
      break;
    argv++;
    argc--;
  }
  if (argc < 5) {
    fprintf(stderr, "usage: bare_curl [-p] [-k] BASE_URL TOKEN N WORKERS\n");
    return 2;
  }
  base = argv[1];
  token = argv[2];
  if (kannel) {
    const char *colon = strchr(token, ':');
    if (!colon || (size_t)(colon - token) >= sizeof kuser ||
        strlen(colon + 1) >= sizeof kpass) {
      fprintf(stderr, "bare_curl: -k wants TOKEN = USER:PASSWORD\n");
      return 2;
    }
    memcpy(kuser, token, (size_t)(colon - token));
    strcpy(kpass, colon + 1);
  }
  total = strtoul(argv[3], NULL, 10);
  w = (unsigned)strtoul(argv[4], NULL, 10);
  if (w == 0 || w > 256)
    w = 4;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; i < w; i++)
    pthread_create(&th[i], NULL, worker, NULL);
  for (i = 0; i < w; i++)
    pthread_join(th[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  getrusage(RUSAGE_SELF, &ru);
  secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("bare_curl N=%lu workers=%u ok=%lu seconds=%.3f rate=%.0f cpu_us=%.1f "
         "maxrss_kb=%ld\n",
         total, w, ok_count, secs, total && secs > 0 ? (double)total / secs : 0,
         total ? cpu * 1e6 / (double)total : 0, ru.ru_maxrss);
  curl_global_cleanup();
  return ok_count == total ? 0 : 1;
}
