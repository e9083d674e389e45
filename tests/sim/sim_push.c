/* sim_push: the simulator calls back.  Providers push delivery reports and
 * replies to the URLs a send named (sMsmode's notification_url and
 * notification_url_reponse); this module makes those HTTP GETs for the
 * provider modules, from one thread, with retries, so a test can watch a
 * receiver get them, lose them for a while (a receiver that is down), or
 * get them late (a slow network).
 *
 * A push is tried at once, then again after 0.5, 1, 2, 4... s (capped at
 * 8 s) while the receiver answers anything but 2xx or nothing at all, up
 * to 10 tries; then it is given up.  The fault switch (POST
 * /_sim/push-fault?mode=drop|slow|none[&ms=N]) makes every try fail
 * without a request (drop) or wait N ms before its request (slow).
 * GET /_sim/pushes lists every push: url, tries, delivered, last status. */
#include "sim.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PUSH_TRIES 10
#define PUSH_TIMEOUT_S 3

struct push {
  char *url;
  int tries, delivered, given_up;
  long last_status;
  double next_at; /* monotonic seconds */
  struct push *next;
};

static pthread_mutex_t push_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t push_cond = PTHREAD_COND_INITIALIZER;
static struct push *pushes, **push_tail = &pushes;
static pthread_t push_thread;
static int push_started, push_stop;
static enum { PF_NONE, PF_DROP, PF_SLOW } push_fault;
static long push_slow_ms;

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t s, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return s * n;
}

/* One try of `url`: the HTTP status, or 0 when nothing answered. */
static long try_get(const char *url) {
  CURL *h = curl_easy_init();
  long status = 0;
  if (!h)
    return 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)PUSH_TIMEOUT_S);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "smsmux-sim push");
  if (curl_easy_perform(h) == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  return status;
}

static void *push_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&push_lock);
  while (!push_stop) {
    struct push *due = NULL, *p;
    double now = mono(), wake = now + 1;
    for (p = pushes; p; p = p->next)
      if (!p->delivered && !p->given_up) {
        if (p->next_at <= now && !due)
          due = p;
        else if (p->next_at < wake)
          wake = p->next_at;
      }
    if (!due) {
      struct timespec at;
      clock_gettime(CLOCK_REALTIME, &at);
      at.tv_nsec += (long)((wake - now) * 1e9);
      at.tv_sec += at.tv_nsec / 1000000000L;
      at.tv_nsec %= 1000000000L;
      pthread_cond_timedwait(&push_cond, &push_lock, &at);
      continue;
    }
    {
      char *url = sim_xstrdup(due->url);
      int fault = push_fault;
      long ms = push_slow_ms, status = 0;
      pthread_mutex_unlock(&push_lock);
      if (fault == PF_SLOW && ms > 0)
        usleep((useconds_t)ms * 1000);
      if (fault != PF_DROP)
        status = try_get(url);
      free(url);
      pthread_mutex_lock(&push_lock);
      due->tries++;
      due->last_status = status;
      if (status >= 200 && status < 300)
        due->delivered = 1;
      else if (due->tries >= PUSH_TRIES)
        due->given_up = 1;
      else {
        double back = 0.5;
        int k;
        for (k = 1; k < due->tries && back < 8; k++)
          back *= 2;
        due->next_at = mono() + (back > 8 ? 8 : back);
      }
    }
  }
  pthread_mutex_unlock(&push_lock);
  return NULL;
}

void sim_push(const char *url) {
  struct push *p;
  if (!url || !*url)
    return;
  p = sim_xcalloc(1, sizeof *p);
  p->url = sim_xstrdup(url);
  p->next_at = 0;
  pthread_mutex_lock(&push_lock);
  if (!push_started) {
    push_started = pthread_create(&push_thread, NULL, push_main, NULL) == 0;
  }
  *push_tail = p;
  push_tail = &p->next;
  pthread_cond_signal(&push_cond);
  pthread_mutex_unlock(&push_lock);
}

void sim_push_reset(void) {
  pthread_mutex_lock(&push_lock);
  while (pushes) {
    struct push *n = pushes->next;
    free(pushes->url);
    free(pushes);
    pushes = n;
  }
  push_tail = &pushes;
  push_fault = PF_NONE;
  push_slow_ms = 0;
  pthread_mutex_unlock(&push_lock);
}

void sim_push_shutdown(void) {
  pthread_mutex_lock(&push_lock);
  push_stop = 1;
  pthread_cond_signal(&push_cond);
  pthread_mutex_unlock(&push_lock);
  if (push_started)
    pthread_join(push_thread, NULL);
  push_started = 0;
  sim_push_reset();
}

/* POST /_sim/push-fault?mode=drop|slow|none[&ms=N] */
void sim_push_ctl_fault(const struct sim_request *req,
                        struct sim_response *resp) {
  const char *mode = sim_param(req, "mode"), *ms = sim_param(req, "ms");
  struct json_object *doc;
  int m;
  if (!mode || (strcmp(mode, "drop") && strcmp(mode, "slow") &&
                strcmp(mode, "none"))) {
    sim_ctl_error(resp, 400, "push-fault wants mode=drop|slow|none");
    return;
  }
  m = strcmp(mode, "drop") == 0 ? PF_DROP
      : strcmp(mode, "slow") == 0 ? PF_SLOW
                                  : PF_NONE;
  pthread_mutex_lock(&push_lock);
  push_fault = m;
  push_slow_ms = ms ? strtol(ms, NULL, 10) : 2000;
  pthread_cond_signal(&push_cond);
  pthread_mutex_unlock(&push_lock);
  doc = json_object_new_object();
  json_object_object_add(doc, "push_fault", json_object_new_string(mode));
  sim_respond_json(resp, 200, doc);
}

/* GET /_sim/pushes */
void sim_push_ctl_list(const struct sim_request *req,
                       struct sim_response *resp) {
  struct json_object *arr = json_object_new_array();
  struct push *p;
  (void)req;
  pthread_mutex_lock(&push_lock);
  for (p = pushes; p; p = p->next) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "url", json_object_new_string(p->url));
    json_object_object_add(o, "tries", json_object_new_int(p->tries));
    json_object_object_add(o, "delivered",
                           json_object_new_boolean(p->delivered));
    json_object_object_add(o, "given_up", json_object_new_boolean(p->given_up));
    json_object_object_add(o, "last_status",
                           json_object_new_int64(p->last_status));
    json_object_array_add(arr, o);
  }
  pthread_mutex_unlock(&push_lock);
  sim_respond_json(resp, 200, arr);
}
