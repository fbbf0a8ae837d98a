/**
 * Charts and figures: the accuracy-vs-cost frontier, bar charts, windows and class activation maps drawn on images.
 */
package org.anchornet.report;
