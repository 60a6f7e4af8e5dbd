/*
 * kafka_admin.h — ksink's Kafka admin requests through librdkafka, in one
 * place: creating a topic (distributed mode's topics in
 * worker/cluster_topics.c, the dead letter queue in worker/dlq.c,
 * tools/kafka-admin.c), deleting one, reading a topic's configs, and its
 * partition count from the metadata. All block the calling thread until the
 * cluster answers.
 */
#ifndef KS_KAFKA_ADMIN_H
#define KS_KAFKA_ADMIN_H

#include "ks.h"

#include <librdkafka/rdkafka.h>

/*
 * CreateTopics for topic with partitions and replication factor rf, and the
 * configs given as "NAME=VALUE" strings (nconfigs of them, borrowed). Waits
 * up to timeout_ms for the broker (and 5 s more for the answer). 0 created;
 * 1 the topic exists already (its settings unchecked; errstr says so); -1 with
 * "creating topic <topic>: <reason>" in errstr.
 */
int ks_kafka_topic_create(rd_kafka_t *rk, const char *topic, int partitions, int rf,
                          const char *const *configs, int nconfigs, int timeout_ms, char *errstr,
                          size_t errlen) KS_WUR;

/* DeleteTopics for topic, waiting up to timeout_ms (and 5 s more for the
 * answer). 0 deleted; -1 with "deleting topic <topic>: <reason>". */
int ks_kafka_topic_delete(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                          size_t errlen) KS_WUR;

/*
 * DescribeConfigs of topic: calls each(entry, arg) for every one of its
 * config entries (borrowed for the call), waiting up to timeout_ms (and 5 s
 * more for the answer). 0 ok; -1 with "describing topic <topic>: <reason>".
 */
int ks_kafka_topic_configs(rd_kafka_t *rk, const char *topic, int timeout_ms,
                           void (*each)(const rd_kafka_ConfigEntry_t *entry, void *arg), void *arg,
                           char *errstr, size_t errlen);

/* The partition count of topic from one metadata request; -1 when unknown
 * (no answer within timeout_ms, or the broker does not know the topic). */
int ks_kafka_topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms);

#endif
