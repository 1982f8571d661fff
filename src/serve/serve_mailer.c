/*
 * Confirmation e-mails for `newsbeat serve`, sent from one thread of
 * their own.  The request that asked for one is answered at once: an SMTP
 * round trip (seconds with a remote relay, up to [smtp] timeout with a
 * stuck one) inside libmicrohttpd's polling threads would stall every
 * other connection on that thread — two slow subscriptions stopped the
 * whole server.  It also keeps the answer's timing the same whether a mail
 * goes out or not (no enumeration of who is on the list).
 */
#include "base/common.h"
#include "serve/serve_internal.h"

struct job {
	struct job *next;
	char *email, *list;
};

struct serve_mailer {
	serve_mailer_send_fn *send;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, **tail;
	unsigned queued, max_queue;
	int stopping;
};

static void job_free(struct job *j)
{
	free(j->email);
	free(j->list);
	free(j);
}

static void *mailer_main(void *arg)
{
	struct serve_mailer *m = arg;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		struct job *j;

		while (!m->head && !m->stopping)
			pthread_cond_wait(&m->wake, &m->lock);
		if (m->stopping)
			break;
		j = m->head;
		m->head = j->next;
		if (!m->head)
			m->tail = &m->head;
		m->queued--;
		pthread_mutex_unlock(&m->lock);
		/* Failures are reported by error(); the address stays pending. */
		m->send(m->ctx, j->email, j->list);
		job_free(j);
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

struct serve_mailer *serve_mailer_start(serve_mailer_send_fn *send, void *ctx, unsigned max_queue)
{
	struct serve_mailer *m = xcalloc(1, sizeof(*m));
	int rc;

	m->send = send;
	m->ctx = ctx;
	m->max_queue = max_queue;
	m->tail = &m->head;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	rc = pthread_create(&m->thread, NULL, mailer_main, m);
	if (rc) {
		error("cannot start the mail thread: %s", strerror(rc));
		pthread_cond_destroy(&m->wake);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

int serve_mailer_queue(struct serve_mailer *m, const char *email, const char *list)
{
	struct job *j;

	pthread_mutex_lock(&m->lock);
	if (m->stopping || m->queued >= m->max_queue) {
		pthread_mutex_unlock(&m->lock);
		return -1;
	}
	j = xcalloc(1, sizeof(*j));
	j->email = xstrdup(email);
	j->list = xstrdup(list);
	*m->tail = j;
	m->tail = &j->next;
	m->queued++;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void serve_mailer_stop(struct serve_mailer *m)
{
	struct job *j, *next;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	if (m->queued)
		warning("stopping: %u confirmation e-mail(s) not sent; those addresses stay "
			"pending and can ask again after [serve] confirm_interval", m->queued);
	for (j = m->head; j; j = next) {
		next = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
