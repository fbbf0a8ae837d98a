package org.anchornet.cli;
public class AnchorNetCli { public static void main(String[] a) {} }
