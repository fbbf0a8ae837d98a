/**
 * The cascade and exit tables over many images on Apache Spark: local mode on one machine, a standalone or other
 * cluster with {@code --master}. Its own module, so the CLI jar does not carry Spark.
 */
package org.anchornet.spark;
