/**
 * Images in, tensors out: PIL-exact decoding and resizing, torchvision transforms, ImageFolder trees, Fashion-MNIST
 * and the generated Cluttered Fashion-MNIST canvases, and the threaded batch loader.
 */
package org.anchornet.data;
