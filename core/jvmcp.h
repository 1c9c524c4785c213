/* Whether a JVM will have Alibaba Cloud's Java credentials SDK (package
 * com.aliyun.credentials) on its class path: the class path the java
 * launcher takes from its arguments or CLASSPATH, and what the jars and
 * directories on it hold.
 *
 * For the JVM's own process, at load: the functions allocate and read
 * files, bound their work, and count whatever they cannot read as "not
 * there"; errno is left as it was. */
#ifndef STSENV_JVMCP_H
#define STSENV_JVMCP_H

#include <stdbool.h>

/* True if the JVM started with argv (argv[0] is java; NULL-terminated),
 * CLASSPATH being classpath_env (NULL if unset), finds the SDK on its
 * class path. */
bool stsenv_jvm_has_sdk_chain(char *const argv[], const char *classpath_env);

/* The class path the java launcher will give the JVM: a pointer into argv
 * or classpath_env, or ".", or NULL when there is none (no main class, a
 * missing option value, or a main module with no class path given).
 * *jar is set when it is the file of -jar: a single entry, never split. */
const char *stsenv_jvm_classpath(char *const argv[], const char *classpath_env, bool *jar);

/* True if an entry of the ':'-separated class path cp holds the SDK: a
 * directory with com/aliyun/credentials/ in it, a jar with entries under
 * com/aliyun/credentials/ or a nested credentials-java*.jar.  A wildcard
 * entry (a directory, a slash, a star) stands for the *.jar and *.JAR
 * files in the directory; an empty entry for ".". */
bool stsenv_classpath_has_sdk(const char *cp);

/* True if the zip (jar) file at path has the SDK in its central directory. */
bool stsenv_jar_has_sdk(const char *path);

#endif
