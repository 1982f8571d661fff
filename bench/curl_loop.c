/*
 * The reference bench/send measures newsbeat against on this machine: a
 * bare libcurl loop, the floor DESIGN.md and issue 4 quote ("about
 * 3,000/s here").  THREADS threads, each with one easy handle (one SMTP
 * connection, reused), send N prebuilt messages of SIZE bytes, one
 * recipient each, to smtp://127.0.0.1:PORT.  No journal, no
 * personalization, no checks: only what libcurl and the server cost.
 *
 *   build/bench/curl_loop PORT N SIZE THREADS
 *
 * Prints "sent N in S s = R msg/s".
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *message;
static size_t message_len;
static atomic_long next_msg, sent;
static long total;
static char url[64];

struct upload {
	size_t off;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *data)
{
	struct upload *u = data;
	size_t n = size * nmemb;

	if (n > message_len - u->off)
		n = message_len - u->off;
	memcpy(buf, message + u->off, n);
	u->off += n;
	return n;
}

static void *worker(void *arg)
{
	CURL *h = curl_easy_init();
	struct upload u;
	char rcpt[64];

	(void)arg;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<bench@example.org>");
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 65536L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	for (;;) {
		long i = atomic_fetch_add(&next_msg, 1);
		struct curl_slist *to;

		if (i >= total)
			break;
		snprintf(rcpt, sizeof(rcpt), "<reader%ld@example.org>", i);
		to = curl_slist_append(NULL, rcpt);
		curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)message_len);
		u.off = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			atomic_fetch_add(&sent, 1);
		curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
		curl_slist_free_all(to);
	}
	curl_easy_cleanup(h);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t tid[64];
	int threads, i;
	size_t size, k;
	double secs;

	if (argc != 5) {
		fprintf(stderr, "usage: curl_loop PORT N SIZE THREADS\n");
		return 2;
	}
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", atoi(argv[1]));
	total = atol(argv[2]);
	size = (size_t)atol(argv[3]);
	threads = atoi(argv[4]);
	if (threads < 1 || threads > 64 || size < 200 || total < 1) {
		fprintf(stderr, "curl_loop: bad arguments\n");
		return 2;
	}
	/* Headers, then lines of text of 76 characters: like a QP-encoded body. */
	message = malloc(size + 80);
	message_len = (size_t)snprintf(message, size, "From: bench@example.org\r\nTo: reader@example.org\r\n"
				       "Subject: bench\r\nMIME-Version: 1.0\r\n\r\n");
	for (k = message_len; k + 78 <= size; k += 78) {
		memset(message + k, 'x', 76);
		memcpy(message + k + 76, "\r\n", 2);
	}
	message_len = k;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("sent %ld in %.2f s = %.0f msg/s\n", atomic_load(&sent), secs,
	       secs > 0 ? (double)atomic_load(&sent) / secs : 0);
	curl_global_cleanup();
	free(message);
	return atomic_load(&sent) == total ? 0 : 1;
}
