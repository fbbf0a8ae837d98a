/**
 * Small general helpers for files and the console that every stage uses: atomic writes of files, progress bars.
 */
package org.anchornet.io;
