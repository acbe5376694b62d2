int enet_dummy(void){return 0;}
